using System.Runtime.InteropServices;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>
/// The part of libjpeg-turbo's TurboJPEG API (<c>libturbojpeg.so.0</c>, Debian's and Ubuntu's <c>libturbojpeg0</c>)
/// that rewrites a JPEG's DCT coefficients without decoding it to pixels: a lossless transform with a custom filter.
/// TurboJPEG catches libjpeg's errors itself and returns -1 with a message, so no error unwinds through managed frames.
/// </summary>
internal static unsafe partial class TurboJpeg
{
    /// <summary>The shared library's name as the dynamic loader finds it.</summary>
    public const string Library = "libturbojpeg.so.0";

    /// <summary>TurboJPEG's <c>TJXOP_NONE</c>: no rotation or flip.</summary>
    public const int NoOperation = 0;

    private static readonly Lazy<bool> Loadable = new(
        () => NativeLibrary.TryLoad(Library, typeof(TurboJpeg).Assembly, null, out _), LazyThreadSafetyMode.PublicationOnly);

    /// <summary>Whether the library can be loaded on this machine.</summary>
    public static bool IsAvailable => Loadable.Value;

    /// <summary>TurboJPEG's <c>tjregion</c>: a rectangle in samples.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Region
    {
        public int X;
        public int Y;
        public int Width;
        public int Height;
    }

    /// <summary>TurboJPEG's <c>tjtransform</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Transform
    {
        public Region Crop;
        public int Operation;
        public int Options;
        public nint Data;

        /// <summary>
        /// Called once per row of 8x8 blocks of each component with the row's quantised coefficients (natural order, 64
        /// per block) to change in place, the row's place in the component plane (its Y is the block row times 8), the
        /// plane's size, the component's index (0: Y or grey, 1: Cb, 2: Cr), the transform's index and the transform;
        /// returns 0, or -1 to fail the transform.
        /// </summary>
        public delegate* unmanaged[Cdecl]<short*, Region, Region, int, int, Transform*, int> CustomFilter;
    }

    [LibraryImport(Library, EntryPoint = "tjInitTransform")]
    public static partial nint InitTransform();

    [LibraryImport(Library, EntryPoint = "tjDestroy")]
    public static partial int Destroy(nint handle);

    [LibraryImport(Library, EntryPoint = "tjTransform")]
    public static partial int Run(nint handle, byte* jpeg, nuint jpegSize, int count, byte** outputs, nuint* outputSizes, Transform* transforms, int flags);

    [LibraryImport(Library, EntryPoint = "tjFree")]
    public static partial void Free(byte* buffer);

    [LibraryImport(Library, EntryPoint = "tjGetErrorStr2")]
    private static partial nint ErrorString(nint handle);

    /// <summary>The last error of <paramref name="handle"/>, as TurboJPEG words it.</summary>
    public static string LastError(nint handle) => Marshal.PtrToStringUTF8(ErrorString(handle)) ?? "unknown TurboJPEG error";
}

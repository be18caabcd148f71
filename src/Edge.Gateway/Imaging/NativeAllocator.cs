namespace Edge.Gateway.Imaging;

/// <summary>
/// The settings of glibc's allocator the gateway runs with (set in its image and launch profile; glibc reads them only
/// when a process starts). ImageMagick, libjpeg, TurboJPEG and ONNX Runtime take a photo's buffers from it, tens of
/// megabytes each (libjpeg's coefficients: 36 MB for a 4000x3000 photo at 4:2:0, 72 MB at 4:4:4). By default glibc
/// gives each thread that allocates an arena of its own, serves blocks from 128 KB up (then, adjusting itself, up to the
/// largest freed) from fresh mappings, and hands free memory at the top of its heap back to the system; the next photo
/// then faults its buffers in again page by page, which on a virtual machine costs more CPU than the decode.
/// </summary>
internal static class NativeAllocator
{
    /// <summary>The environment variables and their values: one arena, blocks up to 32 MB from the heap, 256 MB of free heap kept.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Settings =
    [
        new("MALLOC_ARENA_MAX", "1"),
        new("MALLOC_MMAP_THRESHOLD_", "33554432"),
        new("MALLOC_TRIM_THRESHOLD_", "268435456"),
    ];

    /// <summary>The settings as <c>NAME=value</c> words.</summary>
    public static string Describe() => string.Join(' ', Settings.Select(s => $"{s.Key}={s.Value}"));

    /// <summary>Whether this process was started with every one of <see cref="Settings"/> (any value).</summary>
    public static bool AreSet() => Settings.All(s => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(s.Key)));
}

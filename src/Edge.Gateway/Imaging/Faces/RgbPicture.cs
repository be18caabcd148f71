using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ImageMagick;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>
/// A picture's RGB bytes (row by row), read once from ImageMagick, from which the face search cuts and reduces its tiles
/// itself: ImageMagick's cut, resize and read-back cost about 15-20 ms a tile, several times the arithmetic.
/// </summary>
internal sealed class RgbPicture : IDisposable
{
    private byte[]? _values;

    private RgbPicture(byte[] values, int width, int height)
    {
        _values = values;
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Red, green and blue of each pixel, row by row (the array may be longer).</summary>
    public byte[] Values => _values ?? throw new ObjectDisposedException(nameof(RgbPicture));

    /// <summary>The pixels of <paramref name="image"/>, read once.</summary>
    public static RgbPicture Read(MagickImage image) => Read(image, 0, 0, (int)image.Width, (int)image.Height);

    /// <summary>The pixels of the rectangle of <paramref name="image"/> at (<paramref name="x"/>, <paramref name="y"/>), read once.</summary>
    public static RgbPicture Read(MagickImage image, int x, int y, int width, int height)
    {
        var length = width * height * 3;
        var values = ArrayPool<byte>.Shared.Rent(length);
        using var pixels = image.GetPixelsUnsafe();
        if (IsRgbCache(image))
        {
            // The pixel cache of an 8-bit RGB picture is these bytes already: copied in well under a millisecond, where
            // exporting them by channel name takes 12-17 ms for 1500x1125 pixels.
            Marshal.Copy(pixels.GetAreaPointer(x, y, (uint)width, (uint)height), values, 0, length);
        }
        else
        {
            (pixels.ToByteArray(x, y, (uint)width, (uint)height, "RGB") ?? []).CopyTo(values, 0);
        }

        return new RgbPicture(values, width, height);
    }

    /// <summary>
    /// Writes these pixels over the rectangle of <paramref name="image"/> at (<paramref name="x"/>, <paramref name="y"/>):
    /// straight into the pixel cache of an 8-bit RGB picture, else (grey, with alpha) composited as a picture of their own.
    /// </summary>
    public void Write(MagickImage image, int x, int y)
    {
        if (IsRgbCache(image))
        {
            using var pixels = image.GetPixelsUnsafe();
            pixels.SetArea(x, y, (uint)Width, (uint)Height, Values.AsSpan(0, Width * Height * 3));
        }
        else
        {
            using var picture = ToImage();
            image.Composite(picture, x, y, CompositeOperator.Copy);
        }
    }

    /// <summary>
    /// Reduces <paramref name="image"/> in place to fit inside <paramref name="side"/> x <paramref name="side"/> pixels, to
    /// the size and the pixels ImageMagick's Resize with the triangle filter gives (see <see cref="Resize"/>), keeping its
    /// profiles and settings: for an 8-bit RGB picture in a fraction of the CPU (1500x1125 to 640x480: 21 ms in ImageMagick).
    /// Any other picture is reduced by ImageMagick.
    /// </summary>
    public static void Reduce(MagickImage image, int side)
    {
        var (width, height) = FitInto((int)image.Width, (int)image.Height, side);
        if (!IsRgbCache(image))
        {
            image.Resize(new MagickGeometry((uint)side, (uint)side), FilterType.Triangle);
            return;
        }

        using var source = Read(image);
        using var reduced = source.Resize(0, 0, source.Width, source.Height, width, height);
        image.Crop(new MagickGeometry(0, 0, (uint)width, (uint)height));
        image.ResetPage();
        reduced.Write(image, 0, 0);
    }

    /// <summary>The size ImageMagick gives a picture of <paramref name="width"/> x <paramref name="height"/> fitted into <paramref name="side"/> x <paramref name="side"/>.</summary>
    public static (int Width, int Height) FitInto(int width, int height, int side)
    {
        var fit = Math.Min(side / (double)width, side / (double)height);
        return ((int)Math.Max(1, Math.Floor((fit * width) + 0.5)), (int)Math.Max(1, Math.Floor((fit * height) + 0.5)));
    }

    /// <summary>These pixels as an ImageMagick picture.</summary>
    public MagickImage ToImage()
    {
        var image = new MagickImage();
        image.ReadPixels(Values.AsSpan(0, Width * Height * 3), new PixelReadSettings((uint)Width, (uint)Height, StorageType.Char, PixelMapping.RGB));
        return image;
    }

    /// <summary>
    /// The picture averaged down to <paramref name="across"/> x <paramref name="down"/> blocks, each the plain mean of the
    /// pixels it covers (as ImageMagick's Scale reduces, short of fractions of pixels at the blocks' edges).
    /// </summary>
    public RgbPicture Average(int across, int down)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(across, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(down, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(across, Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(down, Height);
        var sums = new long[across * down * 3];
        var column = new int[Width];
        var columns = new int[across];
        var rows = new int[down];
        for (var x = 0; x < Width; x++)
        {
            var block = (int)((long)x * across / Width);
            column[x] = block * 3;
            columns[block]++;
        }

        var values = Values;
        for (var y = 0; y < Height; y++)
        {
            var blockRow = (int)((long)y * down / Height);
            rows[blockRow]++;
            var sum = sums.AsSpan(blockRow * across * 3, across * 3);
            var row = values.AsSpan(y * Width * 3, Width * 3);
            for (var x = 0; x < column.Length; x++)
            {
                var b = column[x];
                sum[b] += row[x * 3];
                sum[b + 1] += row[(x * 3) + 1];
                sum[b + 2] += row[(x * 3) + 2];
            }
        }

        var result = ArrayPool<byte>.Shared.Rent(across * down * 3);
        for (var i = 0; i < sums.Length; i++)
        {
            var block = i / 3;
            var count = (long)columns[block % across] * rows[block / across];
            result[i] = (byte)((sums[i] + (count / 2)) / count);
        }

        return new RgbPicture(result, across, down);
    }

    /// <summary>Whether <paramref name="image"/>'s pixel cache holds red, green and blue bytes, pixel by pixel.</summary>
    private static bool IsRgbCache(MagickImage image)
        => Quantum.Depth == 8 && image.ChannelCount == 3 && image.ColorSpace == ColorSpace.sRGB;

    /// <summary>
    /// The rectangle at (<paramref name="x"/>, <paramref name="y"/>) of <paramref name="width"/> x
    /// <paramref name="height"/> pixels, reduced (or enlarged) to <paramref name="targetWidth"/> x
    /// <paramref name="targetHeight"/> as ImageMagick's Resize with the triangle filter does: separable passes, the
    /// direction reduced less first, weights 1 - |distance| over a support widened by the reduction, normalised, each
    /// pass rounded to whole values (ImageMagick's 8-bit build stores both). The face search's scores and so the parcel
    /// margin (docs/face-redaction.md) depend on these pixels, which is why they are ImageMagick's and not another filter's.
    /// </summary>
    public RgbPicture Resize(int x, int y, int width, int height, int targetWidth, int targetHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(x + width, Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(y + height, Height);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetHeight, 1);
        var columns = TriangleTaps.For(width, targetWidth);
        var rows = TriangleTaps.For(height, targetHeight);
        var result = ArrayPool<byte>.Shared.Rent(targetWidth * targetHeight * 3);
        // ImageMagick compares the factors as target x (1 / source): for a picture reduced alike both ways (1125x1500 to
        // 480x640) the last bit decides which pass comes first, and with it how the middle values round.
        if (targetWidth * (1.0 / width) > targetHeight * (1.0 / height))
        {
            var middle = ArrayPool<byte>.Shared.Rent(targetWidth * height * 3);
            for (var row = 0; row < height; row++)
            {
                Horizontal(Values.AsSpan((((y + row) * Width) + x) * 3, width * 3), columns, middle.AsSpan(row * targetWidth * 3, targetWidth * 3));
            }

            Vertical(middle, targetWidth * 3, 0, targetWidth * 3, rows, result);
            ArrayPool<byte>.Shared.Return(middle);
        }
        else
        {
            var middle = ArrayPool<byte>.Shared.Rent(width * targetHeight * 3);
            Vertical(Values, Width * 3, ((y * Width) + x) * 3, width * 3, rows, middle);
            for (var row = 0; row < targetHeight; row++)
            {
                Horizontal(middle.AsSpan(row * width * 3, width * 3), columns, result.AsSpan(row * targetWidth * 3, targetWidth * 3));
            }

            ArrayPool<byte>.Shared.Return(middle);
        }

        return new RgbPicture(result, targetWidth, targetHeight);
    }

    /// <summary>One row of RGB pixels reduced along itself.</summary>
    private static void Horizontal(ReadOnlySpan<byte> source, TriangleTaps taps, Span<byte> target)
    {
        // Without bounds checks (a third of the reduction's time): the taps lie inside the row by construction, which
        // the slice below checks once per row.
        var pixels = source.Length / 3;
        _ = source[(taps.Start[^1] + taps.Weights(taps.Count - 1).Length) * 3 - 1];
        ref var row = ref MemoryMarshal.GetReference(source);
        for (var t = 0; t < taps.Count; t++)
        {
            var weights = taps.Weights(t);
            ref var pixel = ref Unsafe.Add(ref row, taps.Start[t] * 3);
            // A pixel's red, green and blue at once (read as 4 bytes, the fourth the next pixel's and never used): the same
            // products added in the same order as one channel at a time, so the same values. A row's last pixel is read
            // byte by byte: its fourth byte would lie past the row.
            var whole = taps.Start[t] + weights.Length == pixels ? weights.Length - 1 : weights.Length;
            var sum = Vector128<float>.Zero;
            for (var k = 0; k < whole; k++)
            {
                var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref pixel, k * 3))).AsByte();
                sum += Vector128.Create(weights[k]) * Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32());
            }

            if (whole < weights.Length)
            {
                ref var lastPixel = ref Unsafe.Add(ref pixel, whole * 3);
                sum += Vector128.Create(weights[whole]) * Vector128.Create(lastPixel, Unsafe.Add(ref lastPixel, 1), Unsafe.Add(ref lastPixel, 2), 0f);
            }

            target[t * 3] = ToQuantum(sum.GetElement(0));
            target[(t * 3) + 1] = ToQuantum(sum.GetElement(1));
            target[(t * 3) + 2] = ToQuantum(sum.GetElement(2));
        }
    }

    /// <summary>Rows <paramref name="length"/> values long, <paramref name="stride"/> apart from <paramref name="offset"/>, reduced across them.</summary>
    private static void Vertical(byte[] source, int stride, int offset, int length, TriangleTaps taps, byte[] target)
    {
        var half = new Vector<float>(0.5f);
        var top = new Vector<float>(255f);
        for (var t = 0; t < taps.Count; t++)
        {
            var weights = taps.Weights(t);
            var line = target.AsSpan(t * length, length);
            var first = offset + (taps.Start[t] * stride);
            var i = 0;

            // A vector of bytes at a time, widened to four vectors of floats (the rows of a picture are thousands of
            // values long); rounded and narrowed back as ImageMagick stores them.
            for (; i <= length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector<float> a = default, b = default, c = default, d = default;
                for (var k = 0; k < weights.Length; k++)
                {
                    Vector.Widen(new Vector<byte>(source.AsSpan(first + (k * stride) + i, Vector<byte>.Count)), out var low, out var high);
                    Vector.Widen(low, out var lowA, out var lowB);
                    Vector.Widen(high, out var highA, out var highB);
                    var w = weights[k];
                    a += w * Vector.ConvertToSingle(lowA);
                    b += w * Vector.ConvertToSingle(lowB);
                    c += w * Vector.ConvertToSingle(highA);
                    d += w * Vector.ConvertToSingle(highB);
                }

                var narrowed = Vector.Narrow(Vector.Narrow(Round(a, half, top), Round(b, half, top)), Vector.Narrow(Round(c, half, top), Round(d, half, top)));
                narrowed.CopyTo(line[i..]);
            }

            for (; i < length; i++)
            {
                var sum = 0f;
                for (var k = 0; k < weights.Length; k++)
                {
                    sum += weights[k] * source[first + (k * stride) + i];
                }

                line[i] = ToQuantum(sum);
            }
        }
    }

    private static Vector<uint> Round(Vector<float> sum, Vector<float> half, Vector<float> top)
        => Vector.ConvertToUInt32(Vector.Min(top, Vector.Max(Vector<float>.Zero, Vector.Floor(sum + half))));

    /// <summary>A value rounded and clamped as ImageMagick stores it in 8 bits.</summary>
    private static byte ToQuantum(float value) => value <= 0 ? (byte)0 : value >= 255 ? (byte)255 : (byte)(value + 0.5f);

    public void Dispose()
    {
        if (_values is { } values)
        {
            _values = null;
            ArrayPool<byte>.Shared.Return(values);
        }
    }

    /// <summary>
    /// The weights of ImageMagick's triangle filter from <c>source</c> to <c>target</c> pixels: for each target pixel,
    /// the first source pixel and the normalised weights of those it takes.
    /// </summary>
    private sealed class TriangleTaps
    {
        private readonly float[] _weights;
        private readonly int[] _counts;
        private readonly int _stride;

        private TriangleTaps(int[] start, int[] counts, float[] weights, int stride)
        {
            Start = start;
            _counts = counts;
            _weights = weights;
            _stride = stride;
        }

        public int[] Start { get; }

        public int Count => Start.Length;

        public ReadOnlySpan<float> Weights(int target) => _weights.AsSpan(target * _stride, _counts[target]);

        public static TriangleTaps For(int source, int target)
        {
            // ImageMagick's HorizontalFilter/VerticalFilter: the filter (support 1) is widened by the reduction, each
            // target pixel's centre is mapped back to the source, and the weights are normalised.
            const double epsilon = 1e-12;
            var factor = target / (double)source;
            var scale = Math.Max((1.0 / factor) + epsilon, 1.0);
            var support = scale;
            var stride = (int)Math.Ceiling(2 * support) + 2;
            scale = 1.0 / scale;
            var start = new int[target];
            var counts = new int[target];
            var weights = new float[target * stride];
            var taps = new double[stride];
            for (var t = 0; t < target; t++)
            {
                var centre = ((t + 0.5) / factor) + epsilon;
                var first = (int)Math.Max(centre - support + 0.5, 0);
                var stop = (int)Math.Min(centre + support + 0.5, source);
                var count = Math.Min(stop - first, stride);
                var density = 0.0;
                for (var n = 0; n < count; n++)
                {
                    taps[n] = Math.Max(0, 1 - Math.Abs(scale * (first + n - centre + 0.5)));
                    density += taps[n];
                }

                var normalise = density is 0 or 1 ? 1 : 1 / density;
                for (var n = 0; n < count; n++)
                {
                    weights[(t * stride) + n] = (float)(taps[n] * normalise);
                }

                start[t] = first;
                counts[t] = count;
            }

            return new TriangleTaps(start, counts, weights, stride);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>A rectangle of pixels: columns [Left, Right), rows [Top, Bottom).</summary>
internal readonly record struct PixelBox(int Left, int Top, int Right, int Bottom);

/// <summary>
/// Blurs boxes of a JPEG without decoding it to pixels or encoding it again: libjpeg-turbo's lossless transform reads the
/// quantised DCT coefficients, every 8x8 block that meets a box is replaced by one computed from a blurred picture of the
/// photo, and the coefficients are written out again. Every other block keeps its coefficients, so the rest of the photo
/// decodes exactly as it did; the cost is entropy decoding and encoding, not a decode, a blur and an encode of 12
/// million pixels.
/// </summary>
/// <remarks>
/// <para>
/// A replaced block holds the blurred picture's mean over the block and its slope across and down (the DC coefficient
/// and the first horizontal and vertical AC coefficients, quantised with the photo's own tables); every other coefficient
/// is zero. Nothing of the block's own coefficients is kept, so what was there cannot be read back; the blurred picture
/// is a few pixels per block and smooth at that scale, so a plane per block draws it without visible steps.
/// </para>
/// <para>
/// The boxes and the blurred picture are upright (EXIF orientation applied) and smaller than the photo; the blocks are
/// in the photo's stored orientation, which is kept (with the EXIF block that turns it upright). Supported: 8-bit
/// baseline, extended and progressive Huffman-coded JPEGs with one (grey) or three (YCbCr or RGB) components, any
/// sampling TurboJPEG accepts. The result is baseline with the standard Huffman tables and no restart markers.
/// </para>
/// </remarks>
internal static unsafe class JpegBlockRedaction
{
    /// <summary>
    /// The first AC coefficient (before quantisation) of a block whose samples rise by one level per sample across it:
    /// sqrt(2) times the sum over the block of (x - 3.5) cos((2x + 1) pi / 16).
    /// </summary>
    private static readonly double SlopeToFirstAc = Math.Sqrt(2) * Enumerable.Range(0, 8).Sum(x => (x - 3.5) * Math.Cos(((2 * x) + 1) * Math.PI / 16));

    /// <summary>
    /// Writes <paramref name="jpeg"/> to <paramref name="path"/> with every block that meets one of
    /// <paramref name="boxes"/> (pixels of <paramref name="picture"/>) replaced from <paramref name="picture"/>, the upright
    /// photo reduced and already blurred in those boxes. False, with the reason, when this JPEG or this machine cannot
    /// be redacted this way (nothing is written then).
    /// </summary>
    /// <param name="jpeg">The photo, metadata stripped.</param>
    /// <param name="orientation">EXIF orientation (1-8) that turns the stored pixels upright.</param>
    /// <param name="picture">The upright photo at a reduced size, blurred where the boxes are.</param>
    /// <param name="boxes">The boxes to blur, in pixels of <paramref name="picture"/>.</param>
    /// <param name="path">Where the redacted JPEG goes; must not exist.</param>
    /// <param name="unsupported">Why not, when false.</param>
    public static bool TryWrite(ReadOnlySpan<byte> jpeg, int orientation, RgbPicture picture, IReadOnlyList<PixelBox> boxes, string path, out string? unsupported)
    {
        var frame = JpegFrame.Read(jpeg, out unsupported);
        if (frame is null)
        {
            return false;
        }

        if (!TurboJpeg.IsAvailable)
        {
            unsupported = $"{TurboJpeg.Library} is not installed";
            return false;
        }

        var filter = new BlockFilter(frame, orientation, picture, boxes);
        var handle = TurboJpeg.InitTransform();
        if (handle == 0)
        {
            unsupported = "TurboJPEG could not start a transform";
            return false;
        }

        var self = GCHandle.Alloc(filter);
        byte* output = null;
        try
        {
            nuint outputSize = 0;
            var transform = new TurboJpeg.Transform
            {
                Operation = TurboJpeg.NoOperation,
                Data = GCHandle.ToIntPtr(self),
                CustomFilter = &Filter,
            };
            int result;
            fixed (byte* input = jpeg)
            {
                result = TurboJpeg.Run(handle, input, (nuint)jpeg.Length, 1, &output, &outputSize, &transform, 0);
            }

            if (filter.Error is { } error)
            {
                unsupported = $"the block filter failed: {error.Message}";
                return false;
            }

            if (result != 0)
            {
                unsupported = TurboJpeg.LastError(handle);
                return false;
            }

            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            file.Write(new ReadOnlySpan<byte>(output, checked((int)outputSize)));
            return true;
        }
        finally
        {
            if (output != null)
            {
                TurboJpeg.Free(output);
            }

            self.Free();
            _ = TurboJpeg.Destroy(handle);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Filter(short* coefficients, TurboJpeg.Region arrayRegion, TurboJpeg.Region planeRegion, int component, int transformIndex, TurboJpeg.Transform* transform)
    {
        var filter = (BlockFilter)GCHandle.FromIntPtr(transform->Data).Target!;
        try
        {
            filter.Rewrite(coefficients, component, arrayRegion.Y / 8, arrayRegion.Width / 8);
            return 0;
        }
        catch (Exception e)
        {
            // Nothing may unwind into libjpeg: the failure is kept and the transform told to stop.
            filter.Error = e;
            return -1;
        }
    }

    /// <summary>Which blocks of each component to replace, and their new coefficients from the blurred picture.</summary>
    private sealed class BlockFilter
    {
        private readonly JpegFrame _frame;
        private readonly int _orientation;
        private readonly RgbPicture _picture;
        private readonly double _scaleX;
        private readonly double _scaleY;
        private readonly List<PixelBox>[] _blocks;

        public BlockFilter(JpegFrame frame, int orientation, RgbPicture picture, IReadOnlyList<PixelBox> boxes)
        {
            _frame = frame;
            _orientation = orientation;
            _picture = picture;
            var turned = orientation >= 5;
            _scaleX = picture.Width / (double)(turned ? frame.Height : frame.Width);
            _scaleY = picture.Height / (double)(turned ? frame.Width : frame.Height);
            _blocks = new List<PixelBox>[frame.Components.Length];
            for (var c = 0; c < frame.Components.Length; c++)
            {
                _blocks[c] = [.. boxes.Select(box => BlocksUnder(box, c))];
            }
        }

        public Exception? Error { get; set; }

        /// <summary>Replaces the blocks of row <paramref name="blockRow"/> of <paramref name="component"/> that meet a box.</summary>
        public void Rewrite(short* row, int component, int blockRow, int blocksInRow)
        {
            var quant = _frame.Components[component];
            foreach (var area in _blocks[component])
            {
                if (blockRow < area.Top || blockRow >= area.Bottom)
                {
                    continue;
                }

                for (var blockColumn = area.Left; blockColumn < Math.Min(area.Right, blocksInRow); blockColumn++)
                {
                    var block = new Span<short>(row + (blockColumn * 64), 64);
                    double centreX = (blockColumn * 8) + 4, centreY = (blockRow * 8) + 4;
                    var level = Sample(component, centreX, centreY);
                    var slopeX = (Sample(component, centreX + 4, centreY) - Sample(component, centreX - 4, centreY)) / 8;
                    var slopeY = (Sample(component, centreX, centreY + 4) - Sample(component, centreX, centreY - 4)) / 8;
                    block.Clear();
                    block[0] = Quantise(8 * (level - 128), quant.Dc);
                    block[1] = Quantise(SlopeToFirstAc * slopeX, quant.FirstAcAcross);
                    block[8] = Quantise(SlopeToFirstAc * slopeY, quant.FirstAcDown);
                }
            }
        }

        private static short Quantise(double value, int step) => (short)Math.Clamp(Math.Round(value / step), -1023, 1023);

        /// <summary>The blocks of <paramref name="component"/> that meet <paramref name="box"/> (picture pixels), as block columns and rows.</summary>
        private PixelBox BlocksUnder(PixelBox box, int component)
        {
            var (uprightLeft, uprightRight) = (box.Left / _scaleX, box.Right / _scaleX);
            var (uprightTop, uprightBottom) = (box.Top / _scaleY, box.Bottom / _scaleY);
            double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
            foreach (var (u, v) in new[] { (uprightLeft, uprightTop), (uprightRight, uprightTop), (uprightLeft, uprightBottom), (uprightRight, uprightBottom) })
            {
                var (x, y) = ToStored(u, v);
                (minX, maxX, minY, maxY) = (Math.Min(minX, x), Math.Max(maxX, x), Math.Min(minY, y), Math.Max(maxY, y));
            }

            var c = _frame.Components[component];
            var across = c.H / (double)_frame.MaxH;
            var down = c.V / (double)_frame.MaxV;
            var columns = (int)Math.Ceiling(Math.Ceiling(_frame.Width * across) / 8);
            var rows = (int)Math.Ceiling(Math.Ceiling(_frame.Height * down) / 8);
            return new PixelBox(
                Math.Clamp((int)Math.Floor(minX * across / 8), 0, columns),
                Math.Clamp((int)Math.Floor(minY * down / 8), 0, rows),
                Math.Clamp((int)Math.Ceiling(maxX * across / 8), 0, columns),
                Math.Clamp((int)Math.Ceiling(maxY * down / 8), 0, rows));
        }

        /// <summary>The blurred picture's level of <paramref name="component"/> at a point of the component's plane (in samples, continuous).</summary>
        private double Sample(int component, double planeX, double planeY)
        {
            var c = _frame.Components[component];
            var (u, v) = ToUpright(planeX * _frame.MaxH / c.H, planeY * _frame.MaxV / c.V);
            var (r, g, b) = Bilinear((u * _scaleX) - 0.5, (v * _scaleY) - 0.5);
            return _frame.Colour switch
            {
                JpegColour.Rgb => component switch { 0 => r, 1 => g, _ => b },
                JpegColour.Grey => (0.299 * r) + (0.587 * g) + (0.114 * b),
                _ => component switch
                {
                    0 => (0.299 * r) + (0.587 * g) + (0.114 * b),
                    1 => (-0.168736 * r) - (0.331264 * g) + (0.5 * b) + 128,
                    _ => (0.5 * r) - (0.418688 * g) - (0.081312 * b) + 128,
                },
            };
        }

        private (double R, double G, double B) Bilinear(double x, double y)
        {
            var width = _picture.Width;
            var height = _picture.Height;
            x = Math.Clamp(x, 0, width - 1);
            y = Math.Clamp(y, 0, height - 1);
            var x0 = (int)x;
            var y0 = (int)y;
            var x1 = Math.Min(x0 + 1, width - 1);
            var y1 = Math.Min(y0 + 1, height - 1);
            var fx = x - x0;
            var fy = y - y0;
            var values = _picture.Values;
            double Channel(int channel)
            {
                var top = (values[(((y0 * width) + x0) * 3) + channel] * (1 - fx)) + (values[(((y0 * width) + x1) * 3) + channel] * fx);
                var bottom = (values[(((y1 * width) + x0) * 3) + channel] * (1 - fx)) + (values[(((y1 * width) + x1) * 3) + channel] * fx);
                return (top * (1 - fy)) + (bottom * fy);
            }

            return (Channel(0), Channel(1), Channel(2));
        }

        /// <summary>A point of the stored photo (pixels, continuous) where the upright photo shows it.</summary>
        private (double U, double V) ToUpright(double x, double y)
        {
            double w = _frame.Width, h = _frame.Height;
            return _orientation switch
            {
                2 => (w - x, y),
                3 => (w - x, h - y),
                4 => (x, h - y),
                5 => (y, x),
                6 => (h - y, x),
                7 => (h - y, w - x),
                8 => (y, w - x),
                _ => (x, y),
            };
        }

        /// <summary>The inverse of <see cref="ToUpright"/>.</summary>
        private (double X, double Y) ToStored(double u, double v)
        {
            double w = _frame.Width, h = _frame.Height;
            return _orientation switch
            {
                2 => (w - u, v),
                3 => (w - u, h - v),
                4 => (u, h - v),
                5 => (v, u),
                6 => (v, h - u),
                7 => (w - v, h - u),
                8 => (w - v, u),
                _ => (u, v),
            };
        }
    }
}

/// <summary>How a JPEG's components map to colours, as libjpeg decides it.</summary>
internal enum JpegColour
{
    Grey,
    YCbCr,
    Rgb,
}

/// <summary>A component's sampling factors and the quantisation steps of the three coefficients a replaced block uses.</summary>
internal readonly record struct JpegComponent(int H, int V, int Dc, int FirstAcAcross, int FirstAcDown);

/// <summary>What <see cref="JpegBlockRedaction"/> needs of a JPEG's frame, read from its headers.</summary>
internal sealed record JpegFrame(int Width, int Height, JpegColour Colour, JpegComponent[] Components)
{
    public int MaxH => Components.Max(c => c.H);

    public int MaxV => Components.Max(c => c.V);

    /// <summary>The frame of <paramref name="jpeg"/>, or null with the reason it cannot be redacted block by block.</summary>
    public static JpegFrame? Read(ReadOnlySpan<byte> jpeg, out string? unsupported)
    {
        // Quantisation steps by table id: the DC step and the first AC steps across and down (zigzag positions 0, 1, 2).
        var tables = new (int Dc, int Across, int Down)?[4];
        var jfif = false;
        int? adobeTransform = null;
        (int Width, int Height, byte[] Ids, (int H, int V, int Table)[] Sampling)? frame = null;
        var position = 2;
        while (true)
        {
            var (marker, start, end) = JpegMetadataStripper.NextSegment(jpeg, ref position);
            if (marker is 0xDA or 0xD9)
            {
                break;
            }

            var body = jpeg[start..end];
            if (marker == 0xDB && !ReadQuantisation(body, tables))
            {
                unsupported = "a quantisation table is malformed";
                return null;
            }

            if (marker == 0xE0 && body.StartsWith("JFIF\0"u8))
            {
                jfif = true;
            }

            if (marker == 0xEE && body.Length >= 12 && body.StartsWith("Adobe"u8))
            {
                adobeTransform = body[11];
            }

            if (PhotoHeader.IsStartOfFrame(marker))
            {
                if (marker is not (0xC0 or 0xC1 or 0xC2))
                {
                    unsupported = $"its coding (SOF{marker - 0xC0}) is not Huffman baseline, extended or progressive";
                    return null;
                }

                if (body.Length < 6 || body[0] != 8)
                {
                    unsupported = "its samples are not 8-bit";
                    return null;
                }

                var count = body[5];
                if (body.Length < 6 + (3 * count))
                {
                    unsupported = "its frame header is malformed";
                    return null;
                }

                var ids = new byte[count];
                var sampling = new (int, int, int)[count];
                for (var i = 0; i < count; i++)
                {
                    var at = 6 + (3 * i);
                    ids[i] = body[at];
                    sampling[i] = (body[at + 1] >> 4, body[at + 1] & 0x0F, body[at + 2]);
                }

                frame = ((body[3] << 8) | body[4], (body[1] << 8) | body[2], ids, sampling);
            }
        }

        if (frame is not { } f || f.Width == 0 || f.Height == 0)
        {
            unsupported = "its frame header is missing or sized later (DNL)";
            return null;
        }

        JpegColour colour;
        switch (f.Ids.Length)
        {
            case 1:
                colour = JpegColour.Grey;
                break;
            case 3:
                var rgb = !jfif && (adobeTransform == 0 || (adobeTransform is null && f.Ids is [(byte)'R', (byte)'G', (byte)'B']));
                colour = rgb ? JpegColour.Rgb : JpegColour.YCbCr;
                break;
            default:
                unsupported = $"it has {f.Ids.Length} components (CMYK or other)";
                return null;
        }

        var components = new JpegComponent[f.Ids.Length];
        for (var i = 0; i < components.Length; i++)
        {
            var (h, v, table) = f.Sampling[i];
            if (h is < 1 or > 4 || v is < 1 or > 4 || table > 3 || tables[table] is not { } steps)
            {
                unsupported = "a component's sampling or quantisation table is invalid";
                return null;
            }

            components[i] = new JpegComponent(h, v, steps.Dc, steps.Across, steps.Down);
        }

        unsupported = null;
        return new JpegFrame(f.Width, f.Height, colour, components);
    }

    /// <summary>Reads every table of a DQT segment into <paramref name="tables"/>; false when the segment is malformed.</summary>
    private static bool ReadQuantisation(ReadOnlySpan<byte> body, (int Dc, int Across, int Down)?[] tables)
    {
        while (body.Length > 0)
        {
            var precision = body[0] >> 4;
            var id = body[0] & 0x0F;
            var size = precision == 0 ? 64 : 128;
            if (precision > 1 || id > 3 || body.Length < 1 + size)
            {
                return false;
            }

            var (dc, across, down) = (Step(body, precision, 0), Step(body, precision, 1), Step(body, precision, 2));
            if (dc == 0 || across == 0 || down == 0)
            {
                return false;
            }

            tables[id] = (dc, across, down);
            body = body[(1 + size)..];
        }

        return true;
    }

    /// <summary>The step at <paramref name="zigzag"/> of the table that starts <paramref name="table"/> (after its id byte).</summary>
    private static int Step(ReadOnlySpan<byte> table, int precision, int zigzag)
        => precision == 0 ? table[1 + zigzag] : (table[1 + (2 * zigzag)] << 8) | table[2 + (2 * zigzag)];
}

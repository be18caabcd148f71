using System.Buffers.Binary;

namespace Edge.Gateway.Tests.Imaging;

/// <summary>A deliberately separate, simple JPEG marker lister for checking the stripper's output.</summary>
internal static class JpegSegments
{
    /// <summary>Markers in order up to and including EOI, with each segment's first bytes, and the bytes after EOI.</summary>
    public static (List<(byte Marker, byte[] Head)> Segments, int TrailingBytes) List(byte[] jpeg)
    {
        var segments = new List<(byte, byte[])>();
        var i = 2;
        while (i + 2 <= jpeg.Length)
        {
            Assert.Equal(0xFF, jpeg[i]);
            var marker = jpeg[i + 1];
            if (marker == 0xD9)
            {
                segments.Add((marker, []));
                return (segments, jpeg.Length - (i + 2));
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(i + 2));
            segments.Add((marker, jpeg.AsSpan(i + 4, Math.Min(16, length - 2)).ToArray()));
            i += 2 + length;
            if (marker == 0xDA)
            {
                while (!(jpeg[i] == 0xFF && jpeg[i + 1] != 0x00 && jpeg[i + 1] is not (>= 0xD0 and <= 0xD7)))
                {
                    i++;
                }
            }
        }

        throw new InvalidDataException("no EOI");
    }

    /// <summary>Lists PNG chunk types in order and the bytes after IEND.</summary>
    public static (List<string> Chunks, int TrailingBytes) PngChunks(byte[] png)
    {
        var chunks = new List<string>();
        var i = 8;
        while (i + 8 <= png.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(i));
            var type = System.Text.Encoding.ASCII.GetString(png, i + 4, 4);
            chunks.Add(type);
            i += 12 + length;
            if (type == "IEND")
            {
                return (chunks, png.Length - i);
            }
        }

        throw new InvalidDataException("no IEND");
    }

    /// <summary>A copy of <paramref name="jpeg"/> with these marker segments (marker, body) right after SOI.</summary>
    public static byte[] InsertAfterSoi(byte[] jpeg, (byte Marker, byte[] Body)[] segments)
    {
        var output = new List<byte>(jpeg.Length + (segments.Length * 4)) { 0xFF, 0xD8 };
        foreach (var (marker, body) in segments)
        {
            output.AddRange([0xFF, marker, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2)]);
            output.AddRange(body);
        }

        output.AddRange(jpeg.AsSpan(2));
        return [.. output];
    }
}

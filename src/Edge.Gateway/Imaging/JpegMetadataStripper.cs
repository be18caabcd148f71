using System.Buffers;
using System.Buffers.Binary;

namespace Edge.Gateway.Imaging;

/// <summary>What <see cref="JpegMetadataStripper"/> did to a JPEG.</summary>
/// <param name="Orientation">The EXIF orientation (1-8) the photo carried; 1 when it carried none.</param>
/// <param name="MetadataRemoved">True when any segment or trailing byte was dropped or rewritten.</param>
internal readonly record struct JpegStripResult(int Orientation, bool MetadataRemoved);

/// <summary>
/// Removes metadata from a JPEG at the marker-segment level, without touching the entropy-coded data,
/// so the decoded pixels are bit-identical.
/// </summary>
/// <remarks>
/// Kept: every segment a decoder needs (DQT, DHT, DRI, SOFn, SOS and its scan data, DNL, DAC), the
/// ICC profile (APP2 <c>ICC_PROFILE</c>, which changes how the pixels are shown), the Adobe APP14
/// segment (it says whether 3 or 4 components are YCbCr/YCCK, so dropping it would change the decoded
/// colours) and a JFIF APP0 without its embedded thumbnail. Orientation is kept by writing a new,
/// minimal APP1 EXIF block that holds only the Orientation tag (and only when it is not 1), so viewers
/// keep turning the photo upright. Dropped: all other APPn (EXIF with GPS and maker notes, XMP, IPTC
/// and Photoshop resources, MPF, FlashPix), COM comments and anything after EOI (MPF secondary images,
/// appended payloads).
/// </remarks>
internal static class JpegMetadataStripper
{
    private const byte Soi = 0xD8;
    private const byte Eoi = 0xD9;
    private const byte Sos = 0xDA;
    private const byte App0 = 0xE0;
    private const byte App1 = 0xE1;
    private const byte App2 = 0xE2;
    private const byte App14 = 0xEE;
    private const byte Com = 0xFE;

    /// <summary>Writes the stripped JPEG to <paramref name="output"/>.</summary>
    /// <exception cref="PhotoRejectedException">The marker structure is broken or the file ends early.</exception>
    public static JpegStripResult Strip(ReadOnlySpan<byte> jpeg, IBufferWriter<byte> output)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != Soi)
        {
            throw Damaged();
        }

        // First pass: find the orientation (the rewritten EXIF goes in front of everything else but JFIF). A file may
        // carry several EXIF blocks (an editor's added after the camera's); the first that holds the tag is the one
        // viewers obey, and a later block without it must not reset it.
        int? orientation = null;
        var changed = false;
        var position = 2;
        while (true)
        {
            var (marker, start, end) = NextSegment(jpeg, ref position);
            if (marker is Sos or Eoi)
            {
                break;
            }

            if (orientation is null && marker == App1 && IsExif(jpeg[start..end]))
            {
                orientation = ReadOrientation(jpeg[(start + 6)..end]);
            }
        }

        var effective = orientation ?? 1;
        output.Write(jpeg[..2]);
        position = 2;
        var exifWritten = false;
        while (true)
        {
            var segmentStart = position;
            var (marker, start, end) = NextSegment(jpeg, ref position);
            var segment = jpeg[segmentStart..end];
            var body = jpeg[start..end];
            var keep = marker switch
            {
                App0 => KeepJfif(body, output, ref changed),
                App2 => body.StartsWith("ICC_PROFILE\0"u8),
                App14 => body.StartsWith("Adobe"u8),
                >= 0xE0 and <= 0xEF or Com => false,
                _ => true,
            };

            if (marker is not App0 && !exifWritten)
            {
                exifWritten = true;
                if (effective != 1)
                {
                    WriteOrientationExif(output, effective);
                }
            }

            if (!keep)
            {
                changed = true;
                continue;
            }

            if (marker == Eoi)
            {
                output.Write(segment);
                changed |= end < jpeg.Length;
                return new JpegStripResult(effective, changed);
            }

            output.Write(segment);
            if (marker == Sos)
            {
                var scanEnd = FindScanEnd(jpeg, end);
                output.Write(jpeg[end..scanEnd]);
                position = scanEnd;
            }
        }
    }

    /// <summary>Reads the next marker segment at <paramref name="position"/>; body is [start, end).</summary>
    internal static (byte Marker, int Start, int End) NextSegment(ReadOnlySpan<byte> jpeg, ref int position)
    {
        if (position + 1 >= jpeg.Length || jpeg[position] != 0xFF)
        {
            throw Damaged();
        }

        while (position + 1 < jpeg.Length && jpeg[position + 1] == 0xFF)
        {
            position++; // fill bytes before a marker
        }

        if (position + 1 >= jpeg.Length)
        {
            throw Damaged();
        }

        var marker = jpeg[position + 1];
        if (marker == Eoi)
        {
            position += 2;
            return (marker, position, position);
        }

        if (marker is Soi or 0x00 or 0x01 or (>= 0xD0 and <= 0xD7))
        {
            throw Damaged(); // a standalone marker where a segment must start
        }

        if (position + 4 > jpeg.Length)
        {
            throw Damaged();
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.Slice(position + 2, 2));
        var start = position + 4;
        var end = position + 2 + length;
        if (length < 2 || end > jpeg.Length)
        {
            throw Damaged();
        }

        position = end;
        return (marker, start, end);
    }

    /// <summary>The offset of the marker that ends the entropy-coded data starting at <paramref name="position"/>.</summary>
    private static int FindScanEnd(ReadOnlySpan<byte> jpeg, int position)
    {
        while (true)
        {
            var next = jpeg[position..].IndexOf((byte)0xFF);
            if (next < 0)
            {
                throw Damaged(); // the file ends inside the image data
            }

            position += next;
            var following = position + 1;
            while (following < jpeg.Length && jpeg[following] == 0xFF)
            {
                following++;
            }

            if (following >= jpeg.Length)
            {
                throw Damaged();
            }

            var value = jpeg[following];
            if (value == 0x00 || value is >= 0xD0 and <= 0xD7)
            {
                position = following + 1; // stuffed 0xFF or a restart marker: still scan data
                continue;
            }

            return following - 1;
        }
    }

    private static bool IsExif(ReadOnlySpan<byte> body) => body.StartsWith("Exif\0\0"u8);

    /// <summary>Keeps a JFIF APP0 as is when it embeds no thumbnail, else writes one without it.</summary>
    private static bool KeepJfif(ReadOnlySpan<byte> body, IBufferWriter<byte> output, ref bool changed)
    {
        if (!body.StartsWith("JFIF\0"u8) || body.Length < 14)
        {
            return false; // JFXX thumbnails and unknown APP0 data
        }

        if (body[12] == 0 && body[13] == 0 && body.Length == 14)
        {
            return true;
        }

        // Version, units and density stay; the thumbnail goes.
        Span<byte> jfif = stackalloc byte[18];
        jfif[0] = 0xFF;
        jfif[1] = App0;
        BinaryPrimitives.WriteUInt16BigEndian(jfif[2..], 16);
        body[..12].CopyTo(jfif[4..]);
        jfif[16] = 0;
        jfif[17] = 0;
        output.Write(jfif);
        changed = true;
        return false;
    }

    /// <summary>Reads tag 0x0112 from IFD0 of a TIFF structure; null when absent or malformed.</summary>
    internal static int? ReadOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return null;
        }

        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I')
        {
            little = true;
        }
        else if (tiff[0] == 'M' && tiff[1] == 'M')
        {
            little = false;
        }
        else
        {
            return null;
        }

        ushort U16(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
        uint U32(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);

        var ifd = U32(tiff[4..]);
        if (ifd > tiff.Length - 2)
        {
            return null;
        }

        int count = U16(tiff[(int)ifd..]);
        for (var i = 0; i < count; i++)
        {
            var entry = (int)ifd + 2 + (i * 12);
            if (entry + 12 > tiff.Length)
            {
                return null;
            }

            if (U16(tiff[entry..]) == 0x0112 && U16(tiff[(entry + 2)..]) == 3)
            {
                int value = U16(tiff[(entry + 8)..]);
                return value is >= 1 and <= 8 ? value : null;
            }
        }

        return null;
    }

    /// <summary>An APP1 EXIF segment with IFD0 holding only Orientation (big-endian TIFF).</summary>
    private static void WriteOrientationExif(IBufferWriter<byte> output, int orientation)
    {
        ReadOnlySpan<byte> template =
        [
            0xFF, App1, 0x00, 0x22,                     // APP1, length 34
            (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0x00, 0x00,
            (byte)'M', (byte)'M', 0x00, 0x2A,           // TIFF header, big-endian
            0x00, 0x00, 0x00, 0x08,                     // IFD0 at offset 8
            0x00, 0x01,                                 // one entry
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, // Orientation, SHORT, count 1
            0x00, 0x00, 0x00, 0x00,                     // value (patched below), padding
            0x00, 0x00, 0x00, 0x00,                     // no next IFD
        ];
        Span<byte> segment = stackalloc byte[template.Length];
        template.CopyTo(segment);
        segment[29] = (byte)orientation;
        output.Write(segment);
    }

    private static PhotoRejectedException Damaged() => new(PhotoRejection.Damaged, PhotoMessages.Damaged);
}

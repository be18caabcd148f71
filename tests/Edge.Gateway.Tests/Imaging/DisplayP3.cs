using System.Buffers.Binary;
using System.Text;
using ImageMagick;

namespace Edge.Gateway.Tests.Imaging;

/// <summary>
/// A Display P3 ICC profile (ICC v4 matrix/TRC: the P3 primaries with the D65 white point and the sRGB tone curve, as
/// Apple's "Display P3" profile that iPhones embed), built here because Magick.NET ships none.
/// </summary>
internal static class DisplayP3
{
    public const string Description = "Display P3 (Edge tests)";

    /// <summary>The profile's bytes.</summary>
    public static byte[] Bytes { get; } = Build();

    public static ColorProfile Profile { get; } = new(Bytes);

    private static byte[] Build()
    {
        // Colorants: the P3 primaries' XYZ adapted to the D50 connection space with Bradford (each column sums to D50's
        // X 0.9642, Y 1.0000, Z 0.8249). chad: the Bradford matrix from D65 to D50.
        var tags = new List<(string Signature, byte[] Data)>
        {
            ("desc", Mluc(Description)),
            ("cprt", Mluc("No copyright, use freely")),
            ("wtpt", Xyz(0.9642, 1.0, 0.8249)),
            ("rXYZ", Xyz(0.515121, 0.241196, -0.001053)),
            ("gXYZ", Xyz(0.291977, 0.692245, 0.041885)),
            ("bXYZ", Xyz(0.157104, 0.066574, 0.784073)),
            ("chad", Tag("sf32", Fixed(1.047882, 0.022918, -0.050217, 0.029586, 0.990478, -0.017075, -0.009247, 0.015075, 0.751678))),
        };

        // The sRGB tone curve: parametric type 3, Y = (aX + b)^g for X >= d, else cX.
        var trc = Tag("para", [0, 3, 0, 0, .. Fixed(2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)]);
        tags.AddRange([("rTRC", trc), ("gTRC", trc), ("bTRC", trc)]);

        var tableSize = 4 + (12 * tags.Count);
        var offsets = new List<int>();
        var body = new List<byte>();
        foreach (var (_, data) in tags)
        {
            offsets.Add(128 + tableSize + body.Count);
            body.AddRange(data);
            while (body.Count % 4 != 0)
            {
                body.Add(0);
            }
        }

        var profile = new byte[128 + tableSize + body.Count];
        var header = profile.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)profile.Length);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], 0x04300000); // version 4.3
        "mntrRGB XYZ "u8.CopyTo(header[12..]);
        BinaryPrimitives.WriteUInt16BigEndian(header[24..], 2024);
        BinaryPrimitives.WriteUInt16BigEndian(header[26..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(header[28..], 1);
        "acsp"u8.CopyTo(header[36..]);
        Fixed(0.9642, 1.0, 0.8249).CopyTo(header[68..]); // PCS illuminant D50
        BinaryPrimitives.WriteUInt32BigEndian(header[128..], (uint)tags.Count);
        for (var i = 0; i < tags.Count; i++)
        {
            var entry = header[(132 + (12 * i))..];
            Encoding.ASCII.GetBytes(tags[i].Signature).CopyTo(entry);
            BinaryPrimitives.WriteUInt32BigEndian(entry[4..], (uint)offsets[i]);
            BinaryPrimitives.WriteUInt32BigEndian(entry[8..], (uint)tags[i].Data.Length);
        }

        body.CopyTo(profile, 128 + tableSize);
        return profile;
    }

    private static byte[] Tag(string type, byte[] content) => [.. Encoding.ASCII.GetBytes(type), 0, 0, 0, 0, .. content];

    private static byte[] Xyz(double x, double y, double z) => Tag("XYZ ", Fixed(x, y, z));

    /// <summary>s15Fixed16Number values, big-endian.</summary>
    private static byte[] Fixed(params double[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 * i), (int)Math.Round(values[i] * 65536));
        }

        return bytes;
    }

    /// <summary>A multiLocalizedUnicodeType with one en-US record.</summary>
    private static byte[] Mluc(string text)
    {
        var utf16 = Encoding.BigEndianUnicode.GetBytes(text);
        var content = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(content, 1); // records
        BinaryPrimitives.WriteUInt32BigEndian(content.AsSpan(4), 12); // record size
        "enUS"u8.CopyTo(content.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(content.AsSpan(12), (uint)utf16.Length);
        // The record's offset is from the start of the tag: 8 (type, reserved) + 16 (count, size, record) + 4.
        return Tag("mluc", [.. content, 0, 0, 0, 28, .. utf16]);
    }
}

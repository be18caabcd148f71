using System.Text;
using ImageMagick;

namespace Edge.LoadTesting;

/// <summary>
/// A phone-like delivery photo for benchmarks, made once with Magick.NET and varied cheaply: a plasma "doorstep" with
/// a parcel and sensor-like noise at 4000x3000, JPEG quality 90, carrying EXIF (GPS, Orientation 6), XMP, an ICC
/// profile and a comment. Shared by Edge.LoadTest and Edge.Fleet (linked into both).
/// </summary>
internal static class PhoneJpeg
{
    /// <summary>The photo with <paramref name="comment"/> as its JPEG comment (a COM segment).</summary>
    public static byte[] Make(string comment = "benchmark", int quality = 90)
    {
        MagickNET.SetRandomSeed(42);
        using var image = new MagickImage("plasma:#6b8cae-#c9a77c", 4000, 3000);
        var parcel = new ImageMagick.Drawing.Drawables()
            .FillColor(new MagickColor("#8e5b2e")).Rectangle(1400, 1100, 2800, 2600)
            .FillColor(new MagickColor("#f0e6d2")).Rectangle(1800, 1500, 2400, 1800)
            .StrokeColor(new MagickColor("#1d1d1d")).StrokeWidth(6).Line(1400, 1850, 2800, 1850)
            .FillColor(new MagickColor("#2f3b45")).Rectangle(200, 2700, 3800, 2900);
        parcel.Draw(image);
        image.AddNoise(NoiseType.Gaussian, 0.14);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, (ushort)6);
        exif.SetValue(ExifTag.Make, "Phone");
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(52, 1), new Rational(31, 1), new Rational(1234, 100)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "E");
        exif.SetValue(ExifTag.GPSLongitude, [new Rational(13, 1), new Rational(24, 1), new Rational(1800, 100)]);
        image.SetProfile(exif);
        image.SetProfile(new XmpProfile(Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>")));
        image.SetProfile(ColorProfiles.SRGB);
        image.Comment = comment;
        image.Quality = (uint)quality;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    /// <summary>
    /// The photo at exactly <paramref name="bytes"/> bytes: encoded at the highest quality (90 down to 50) that fits,
    /// then padded with COM segments after the SOI marker (metadata the gateway strips, like a phone's maker notes).
    /// </summary>
    public static byte[] MakeExactly(int bytes, string comment)
    {
        for (var quality = 90; ; quality -= 5)
        {
            var jpeg = Make(comment, quality);
            if (jpeg.Length <= bytes - 4 || quality <= 50)
            {
                return PadTo(jpeg, bytes);
            }
        }
    }

    /// <summary>Offset of <paramref name="marker"/> (ASCII) in <paramref name="jpeg"/>; -1 when absent.</summary>
    public static int MarkerOffset(byte[] jpeg, string marker) => jpeg.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker));

    /// <summary>
    /// Rewrites the fixed-width decimal field at <paramref name="offset"/> (found with <see cref="MarkerOffset"/>) with
    /// <paramref name="value"/>, so that every copy has its own digest without encoding the image again.
    /// </summary>
    public static void Stamp(Span<byte> jpeg, int offset, long value, int width)
        => Encoding.ASCII.GetBytes(value.ToString("D" + width, System.Globalization.CultureInfo.InvariantCulture), jpeg[offset..]);

    private static byte[] PadTo(byte[] jpeg, int bytes)
    {
        var extra = bytes - jpeg.Length;
        if (extra == 0)
        {
            return jpeg;
        }

        if (extra < 4)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), $"a photo of {bytes} bytes cannot be made from one of {jpeg.Length}");
        }

        var padded = new byte[bytes];
        padded[0] = 0xFF;
        padded[1] = 0xD8;
        var at = 2;
        while (extra > 0)
        {
            // A COM segment: FF FE, a 16-bit length that counts itself, then the comment bytes. Keep the last one >= 4.
            var segment = Math.Min(extra, 65_537);
            if (extra - segment is > 0 and < 4)
            {
                segment -= 4;
            }

            var length = segment - 2;
            padded[at] = 0xFF;
            padded[at + 1] = 0xFE;
            padded[at + 2] = (byte)(length >> 8);
            padded[at + 3] = (byte)length;
            padded.AsSpan(at + 4, segment - 4).Fill((byte)' ');
            at += segment;
            extra -= segment;
        }

        jpeg.AsSpan(2).CopyTo(padded.AsSpan(at));
        return padded;
    }
}

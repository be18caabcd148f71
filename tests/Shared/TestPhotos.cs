using System.Security.Cryptography;
using System.Text;
using ImageMagick;
using ImageMagick.Drawing;

namespace Edge.Testing;

/// <summary>
/// Real photos for the tests, made with Magick.NET: a small parcel-at-the-door scene with planted metadata, noisy
/// JPEGs of any size, and a HEIC shot (Photos/, copied beside the tests; see its README).
/// </summary>
public static class TestPhotos
{
    public const string Planted = "PLANTED-";

    public static string PhotoDirectory => Path.Combine(AppContext.BaseDirectory, "Photos");

    /// <summary>
    /// A landscape raster (stored <paramref name="width"/> x <paramref name="height"/>) with a red square in its
    /// stored top-left corner, sharp edges and some sensor-like noise.
    /// </summary>
    public static MagickImage Scene(uint width = 1200, uint height = 900)
    {
        // A left-to-right gradient: flat rows would leave dHash's horizontal comparisons to the noise.
        var image = new MagickImage("gradient:#3a5f7d-#d9c7a3", height, width);
        image.Rotate(90);
        var w = (double)width;
        var h = (double)height;
        new Drawables()
            .FillColor(new MagickColor("#c0392b")).Rectangle(0, 0, w * 0.12, w * 0.12)
            .FillColor(new MagickColor("#8e5b2e")).Rectangle(w * 0.35, h * 0.35, w * 0.7, h * 0.85)
            .FillColor(new MagickColor("#f0e6d2")).Rectangle(w * 0.45, h * 0.45, w * 0.6, h * 0.55)
            .FillColor(new MagickColor("#f1c40f")).Circle(w * 0.82, h * 0.2, w * 0.88, h * 0.2)
            .StrokeColor(new MagickColor("#111111")).StrokeWidth(3).Line(w * 0.05, h * 0.95, w * 0.95, h * 0.6)
            .Draw(image);
        image.AddNoise(NoiseType.Gaussian, 0.15);
        return image;
    }

    /// <summary>
    /// A phone-like JPEG: EXIF with GPS, maker fields and Orientation 6, XMP, IPTC, a comment, an sRGB ICC
    /// profile and bytes appended after EOI, each carrying a planted string.
    /// </summary>
    public static byte[] PhoneJpeg(uint width = 1200, uint height = 900, bool progressive = false)
    {
        using var image = Scene(width, height);
        AddPhoneMetadata(image);
        image.Quality = 90;
        if (progressive)
        {
            image.Settings.Interlace = Interlace.Jpeg;
        }

        return [.. image.ToByteArray(MagickFormat.Jpeg), .. Encoding.ASCII.GetBytes(Planted + "TRAILER-SECRET")];
    }

    public static void AddPhoneMetadata(MagickImage image)
    {
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, (ushort)6);
        exif.SetValue(ExifTag.Make, Planted + "MAKE");
        exif.SetValue(ExifTag.Model, Planted + "MODEL");
        exif.SetValue(ExifTag.ImageDescription, Planted + "EXIF-SECRET");
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(52, 1), new Rational(31, 1), new Rational(1234, 100)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "E");
        exif.SetValue(ExifTag.GPSLongitude, [new Rational(13, 1), new Rational(24, 1), new Rational(1800, 100)]);
        exif.SetValue(ExifTag.MakerNote, Encoding.ASCII.GetBytes(Planted + "MAKERNOTE"));
        image.SetProfile(exif);
        image.Orientation = Orientation.RightTop;

        var xmp = $"""
            <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
            <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
            <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>{Planted}XMP-SECRET</rdf:li></rdf:Seq></dc:creator></rdf:Description>
            </rdf:RDF></x:xmpmeta>
            <?xpacket end="w"?>
            """;
        image.SetProfile(new XmpProfile(Encoding.UTF8.GetBytes(xmp)));

        var iptc = new IptcProfile();
        iptc.SetValue(IptcTag.Caption, Planted + "IPTC-SECRET");
        image.SetProfile(iptc);

        image.Comment = Planted + "COMMENT-SECRET";
        image.SetProfile(ColorProfiles.SRGB);
    }

    /// <summary>A CMYK JPEG (Adobe APP14 marker) with planted EXIF.</summary>
    public static byte[] CmykJpeg()
    {
        using var image = Scene(800, 600);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.ImageDescription, Planted + "CMYK-SECRET");
        image.SetProfile(exif);
        image.ColorSpace = ColorSpace.CMYK;
        image.Quality = 90;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    /// <summary>A PNG with tEXt/zTXt chunks, an EXIF profile, a comment and bytes after IEND.</summary>
    public static byte[] PngWithText()
    {
        using var image = Scene(640, 480);
        image.Comment = Planted + "PNG-COMMENT";
        image.SetAttribute("Author", Planted + "PNG-AUTHOR");
        image.SetAttribute("Location", Planted + "PNG-LOCATION 52.52N 13.40E");
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(52, 1), new Rational(31, 1), new Rational(1234, 100)]);
        exif.SetValue(ExifTag.ImageDescription, Planted + "PNG-EXIF");
        image.SetProfile(exif);
        return [.. image.ToByteArray(MagickFormat.Png), .. Encoding.ASCII.GetBytes(Planted + "PNG-TRAILER")];
    }

    public static byte[] Jpeg(MagickImage image, uint quality = 90)
    {
        image.Quality = quality;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    public static byte[] Heic() => File.ReadAllBytes(Path.Combine(PhotoDirectory, "parcel.heic"));

    /// <summary>A 2000x1500 HEIC of the labelled porch scene with two faces (FaceScenes seed 21, heads of 300 and 160 px).</summary>
    public static byte[] HeicWithFaces() => File.ReadAllBytes(Path.Combine(PhotoDirectory, "porch-faces.heic"));

    public static bool Contains(byte[] data, string text) => data.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;

    /// <summary>Writes a noisy JPEG of the given raster size (about 0.3 bytes per pixel) into <paramref name="directory"/>.</summary>
    public static string Jpeg(string directory, uint width, uint height, int seed)
    {
        using var image = new MagickImage("gradient:#3a5f7d-#d9c7a3", width, height);
        image.AddNoise(NoiseType.Gaussian, 0.2 + (seed % 7 * 0.01));
        image.Quality = 90;
        var path = Path.Combine(directory, $"photo-{seed}.jpg");
        image.Write(path, MagickFormat.Jpeg);
        return path;
    }

    /// <summary>Lowercase hex SHA-256 of a file, as devices name their photos.</summary>
    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}

using System.Text;
using Edge.Gateway.Imaging;
using ImageMagick;
using ImageMagick.Drawing;

namespace Edge.Gateway.Tests.Imaging;

/// <summary>
/// What a re-encode or a thumbnail must not change: the colours a photo is shown in (its ICC profile), which way up it
/// is, and its size (no upscaling); and that a header with many segments is still read.
/// </summary>
public sealed class PhotoFidelityTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    /// <summary>A green that Display P3 encodes with other numbers than sRGB.</summary>
    private static readonly (int R, int G, int B) PatchSrgb = (40, 180, 60);

    public static TheoryData<string> P3Formats => new() { "png", "jpeg", "heic" };

    [Theory]
    [MemberData(nameof(P3Formats))]
    public async Task DisplayP3Photo_StoredWithItsProfileAndNoMetadata_ThumbnailInSrgb(string format)
    {
        var (photo, patch, expected) = format switch
        {
            "heic" => HeicP3(),
            _ => (SceneP3(format == "png" ? MagickFormat.Png : MagickFormat.Jpeg), (X: 0.225, Y: 0.175), PatchSrgb),
        };

        var result = await fixture.ProcessAsync(photo);

        // The stored copy: the profile is there, the metadata is not.
        var tags = ExifTool.ReadTags(result.StoredPath);
        Assert.Equal(DisplayP3.Description, tags["ICC_Profile:ProfileDescription"]);
        Assert.DoesNotContain(tags.Keys, key => key.Contains("GPS", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith("XMP", StringComparison.Ordinal) || key.StartsWith("IPTC", StringComparison.Ordinal)
            || key.EndsWith(":Comment", StringComparison.Ordinal) || key.EndsWith(":ImageDescription", StringComparison.Ordinal));
        Assert.False(TestPhotos.Contains(await File.ReadAllBytesAsync(result.StoredPath), TestPhotos.Planted));

        // Shown through its profile, the stored copy has the patch's colour; shown as sRGB (what happens once the profile
        // is lost) it would not.
        using var stored = new MagickImage(result.StoredPath);
        var raw = Sample(stored, patch);
        Assert.True(Distance(raw, expected) > 10, $"P3 and sRGB agree on the patch: {raw} vs {expected}");
        Assert.True(stored.TransformColorSpace(ColorProfiles.SRGB));
        var managed = Sample(stored, patch);
        Assert.True(Distance(managed, expected) <= (format == "png" ? 3 : 5), $"stored patch shows as {managed}, should be {expected}");

        // The thumbnail has no profile: its pixels are sRGB.
        using var thumbnail = new MagickImage(result.ThumbnailPath!, new MagickReadSettings { Format = MagickFormat.Jpeg });
        Assert.Empty(thumbnail.ProfileNames);
        var shown = Sample(thumbnail, patch);
        Assert.True(Distance(shown, expected) <= 5, $"thumbnail patch is {shown}, should be {expected}");
    }

    public static TheoryData<bool> OrientationInFirstBlock => new() { true, false };

    [Theory]
    [MemberData(nameof(OrientationInFirstBlock))]
    public async Task JpegWithTwoExifBlocks_OrientationFromTheOneThatHasIt(bool inFirst)
    {
        using var scene = TestPhotos.Scene(1200, 900);
        var jpeg = TestPhotos.Jpeg(scene);
        byte[] withOrientation = [.. "Exif\0\0"u8, .. TiffWithOrientation(6)];
        byte[] without = [.. "Exif\0\0"u8, .. TiffWithSoftware()];
        var photo = JpegSegments.InsertAfterSoi(jpeg, inFirst ? [(0xE1, withOrientation), (0xE1, without)] : [(0xE1, without), (0xE1, withOrientation)]);

        var result = await fixture.ProcessAsync(photo);

        var tags = ExifTool.ReadTags(result.StoredPath);
        Assert.Equal("6", tags["IFD0:Orientation"]);
        Assert.DoesNotContain(tags.Keys, key => key.EndsWith(":Software", StringComparison.Ordinal));
        Assert.Single(JpegSegments.List(await File.ReadAllBytesAsync(result.StoredPath)).Segments, s => s.Marker == 0xE1);
        Assert.Equal((900, 1200), (result.Report!.Width, result.Report.Height));

        // Upright, the red square of the stored top-left corner is in the top-right corner.
        using var thumbnail = new MagickImage(result.ThumbnailPath!, new MagickReadSettings { Format = MagickFormat.Jpeg });
        Assert.Equal((240u, 320u), (thumbnail.Width, thumbnail.Height));
        var topRight = Sample(thumbnail, (1 - (8.0 / 240), 8.0 / 320));
        Assert.True(topRight.R > 150 && topRight.G < 100, $"top right is {topRight}");
    }

    [Fact]
    public async Task JpegWith3000EmptySegmentsBeforeItsFrame_IsAcceptedAndStrippedLosslessly()
    {
        using var scene = TestPhotos.Scene(640, 480);
        var jpeg = TestPhotos.Jpeg(scene);
        var empty = Enumerable.Range(0, 3000).Select(i => ((byte)(i % 2 == 0 ? 0xEF : 0xFE), Array.Empty<byte>())).ToArray();
        var photo = JpegSegments.InsertAfterSoi(jpeg, empty);
        Assert.True(JpegSegments.List(photo).Segments.Count > 3000);

        var header = fixture.Pipeline.CheckHeader(fixture.Source(photo));
        var result = await fixture.ProcessAsync(photo);

        Assert.Equal((PhotoFormat.Jpeg, 640L, 480L), (header.Format, header.Width, header.Height));
        var stored = await File.ReadAllBytesAsync(result.StoredPath);
        Assert.DoesNotContain(JpegSegments.List(stored).Segments, s => s.Marker is 0xEF or 0xFE);
        Assert.Equal(Pixels(jpeg), Pixels(stored));
        Assert.True(result.Report!.MetadataStripped);
    }

    [Fact]
    public void FileOfOnlyEmptySegments_IsRefusedAsNoPhoto()
    {
        var photo = JpegSegments.InsertAfterSoi([0xFF, 0xD8, 0xFF, 0xD9], Enumerable.Repeat(((byte)0xFE, Array.Empty<byte>()), 200_000).ToArray());

        var ex = Assert.Throws<PhotoRejectedException>(() => fixture.Pipeline.CheckHeader(fixture.Source(photo)));

        Assert.Equal(PhotoRejection.UnsupportedFormat, ex.Reason);
    }

    [Theory]
    [InlineData(64u, 48u)]
    [InlineData(300u, 225u)]
    public async Task SmallJpeg_ThumbnailAndMeasuresAtItsOwnSize(uint width, uint height)
    {
        using var scene = TestPhotos.Scene(width, height);
        var jpeg = TestPhotos.Jpeg(scene);

        var result = await fixture.ProcessAsync(jpeg);

        using var thumbnail = new MagickImage(result.ThumbnailPath!, new MagickReadSettings { Format = MagickFormat.Jpeg });
        Assert.Equal((width, height), (thumbnail.Width, thumbnail.Height));
        using var native = new MagickImage(jpeg, new MagickReadSettings { Format = MagickFormat.Jpeg });
        native.Grayscale(PixelIntensityMethod.Rec601Luma);
        using var pixels = native.GetPixelsUnsafe();
        var sharpness = PhotoMeasures.Sharpness(pixels.ToByteArray("R"), (int)width, (int)height);
        Assert.InRange(result.Report!.Sharpness, sharpness * 0.98, sharpness * 1.02);
    }

    /// <summary>The scene with a flat <see cref="PatchSrgb"/> patch, converted to Display P3 and given phone metadata.</summary>
    private static byte[] SceneP3(MagickFormat format)
    {
        using var image = TestPhotos.Scene(640, 480);
        new Drawables().FillColor(new MagickColor((byte)PatchSrgb.R, (byte)PatchSrgb.G, (byte)PatchSrgb.B))
            .Rectangle(0.15 * 640, 0.05 * 480, 0.3 * 640, 0.3 * 480).Draw(image);
        image.TransformColorSpace(ColorProfiles.SRGB, DisplayP3.Profile);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(52, 1), new Rational(31, 1), new Rational(1234, 100)]);
        exif.SetValue(ExifTag.ImageDescription, TestPhotos.Planted + "P3-EXIF");
        image.SetProfile(exif);
        image.SetProfile(new XmpProfile(Encoding.UTF8.GetBytes($"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">{TestPhotos.Planted}XMP</x:xmpmeta>")));
        image.Comment = TestPhotos.Planted + "P3-COMMENT";
        image.Quality = 95;
        return image.ToByteArray(format);
    }

    /// <summary>The committed HEIC with a Display P3 profile, the point to look at and its colour shown through the profile.</summary>
    private static (byte[] Photo, (double X, double Y) Patch, (int R, int G, int B) Expected) HeicP3()
    {
        var heic = HeifColour.WithIccProfile(TestPhotos.Heic(), DisplayP3.Bytes);
        using var decoded = new MagickImage(heic, new MagickReadSettings { Format = MagickFormat.Heic });
        Assert.Equal(DisplayP3.Bytes, decoded.GetProfile("icc")?.ToByteArray());
        Assert.True(decoded.TransformColorSpace(ColorProfiles.SRGB));
        var centreOfRedSquare = (28.8 / 480, 28.8 / 360); // the scene's square is 12 % of the width a side
        return (heic, centreOfRedSquare, Sample(decoded, centreOfRedSquare));
    }

    /// <summary>The mean colour of the 5x5 pixels around a point given as fractions of the width and height.</summary>
    private static (int R, int G, int B) Sample(MagickImage image, (double X, double Y) at)
    {
        var x = (int)(at.X * image.Width) - 2;
        var y = (int)(at.Y * image.Height) - 2;
        using var pixels = image.GetPixels();
        var rgb = pixels.ToByteArray(x, y, 5, 5, "RGB")!;
        int Mean(int channel) => (int)Math.Round(Enumerable.Range(0, 25).Average(i => rgb[(3 * i) + channel]));
        return (Mean(0), Mean(1), Mean(2));
    }

    private static int Distance((int R, int G, int B) a, (int R, int G, int B) b)
        => Math.Max(Math.Abs(a.R - b.R), Math.Max(Math.Abs(a.G - b.G), Math.Abs(a.B - b.B)));

    private static byte[] Pixels(byte[] jpeg)
    {
        using var decoded = new MagickImage(jpeg, new MagickReadSettings { Format = MagickFormat.Jpeg });
        using var pixels = decoded.GetPixels();
        return pixels.ToByteArray("RGB")!;
    }

    /// <summary>A big-endian TIFF whose IFD0 holds Orientation only.</summary>
    private static byte[] TiffWithOrientation(ushort orientation)
        => [.. "MM\0*"u8, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, 0, 0, 0, 0];

    /// <summary>A big-endian TIFF whose IFD0 holds Software ("ED" and its NUL, inline) and no Orientation, as an editor adds.</summary>
    private static byte[] TiffWithSoftware()
        => [.. "MM\0*"u8, 0, 0, 0, 8, 0, 1, 0x01, 0x31, 0, 2, 0, 0, 0, 3, (byte)'E', (byte)'D', 0, 0, 0, 0, 0, 0];
}

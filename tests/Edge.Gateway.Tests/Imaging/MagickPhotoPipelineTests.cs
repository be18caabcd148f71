using Edge.Gateway.Imaging;
using Edge.V1;
using ImageMagick;

namespace Edge.Gateway.Tests.Imaging;

public sealed class MagickPhotoPipelineTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    private static byte[] Pixels(byte[] image, MagickFormat format, string map = "RGB")
    {
        using var decoded = new MagickImage(image, new MagickReadSettings { Format = format });
        using var pixels = decoded.GetPixels();
        return pixels.ToByteArray(map)!;
    }

    [Fact]
    public async Task PhoneJpeg_StoredCopy_HasNoGpsExifXmpIptcCommentOrTrailer()
    {
        var original = TestPhotos.PhoneJpeg();
        Assert.True(TestPhotos.Contains(original, "PLANTED-EXIF-SECRET")); // the planting worked

        var result = await fixture.ProcessAsync(original);

        Assert.NotEqual(fixture.Root, Path.GetDirectoryName(result.StoredPath));
        Assert.Equal("image/jpeg", result.ContentType);
        var stored = await File.ReadAllBytesAsync(result.StoredPath);
        Assert.False(TestPhotos.Contains(stored, TestPhotos.Planted));
        var tags = ExifTool.ReadTags(result.StoredPath);
        Assert.DoesNotContain(tags.Keys, key => key.Contains("GPS", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(tags.Keys, key => key.StartsWith("XMP", StringComparison.Ordinal) || key.StartsWith("IPTC", StringComparison.Ordinal));
        Assert.DoesNotContain(tags.Keys, key => key.EndsWith(":Comment", StringComparison.Ordinal) || key.EndsWith(":Make", StringComparison.Ordinal) || key.EndsWith(":MakerNote", StringComparison.Ordinal));
        Assert.Equal("6", tags["IFD0:Orientation"]);
        Assert.Contains(tags.Keys, key => key.StartsWith("ICC", StringComparison.Ordinal));
        Assert.DoesNotContain(tags.Keys, key => key.Contains("Trailer", StringComparison.OrdinalIgnoreCase));
        var (segments, trailing) = JpegSegments.List(stored);
        Assert.Equal(0, trailing);
        Assert.DoesNotContain(segments, s => s.Marker == 0xFE || s.Marker == 0xED);
        Assert.True(result.Report!.MetadataStripped);
    }

    [Fact]
    public async Task PhoneJpeg_StoredCopy_DecodesToIdenticalPixels()
    {
        var original = TestPhotos.PhoneJpeg();

        var result = await fixture.ProcessAsync(original);

        Assert.Equal(Pixels(original, MagickFormat.Jpeg), Pixels(await File.ReadAllBytesAsync(result.StoredPath), MagickFormat.Jpeg));
        Assert.True(new FileInfo(result.StoredPath).Length < original.Length);
    }

    [Fact]
    public async Task PhoneJpeg_Orientation6_ReportsAndThumbnailsPortraitUpright()
    {
        // The scene's red square is in the stored top-left corner; Orientation 6 turns it 90° clockwise,
        // so upright it is in the top-right corner.
        var result = await fixture.ProcessAsync(TestPhotos.PhoneJpeg(1200, 900));

        var report = result.Report!;
        Assert.Equal(900, report.Width);
        Assert.Equal(1200, report.Height);
        Assert.Equal("JPEG", report.Format);
        using var thumbnail = new MagickImage(result.ThumbnailPath!, new MagickReadSettings { Format = MagickFormat.Jpeg });
        Assert.Equal(240u, thumbnail.Width);
        Assert.Equal(320u, thumbnail.Height);
        Assert.Empty(thumbnail.ProfileNames);
        using var pixels = thumbnail.GetPixels();
        var topRight = pixels.GetPixel((int)thumbnail.Width - 8, 8).ToColor()!;
        var topLeft = pixels.GetPixel(8, 8).ToColor()!;
        Assert.True(topRight.R > 150 && topRight.G < 100, $"top right is {topRight}");
        Assert.False(topLeft.R > 150 && topLeft.G < 100, $"top left is {topLeft}");
    }

    [Fact]
    public async Task ProgressiveJpeg_IsStrippedLosslessly()
    {
        var original = TestPhotos.PhoneJpeg(800, 600, progressive: true);
        Assert.Contains(JpegSegments.List(original[..^22]).Segments, s => s.Marker == 0xC2);

        var result = await fixture.ProcessAsync(original);

        var stored = await File.ReadAllBytesAsync(result.StoredPath);
        Assert.Contains(JpegSegments.List(stored).Segments, s => s.Marker == 0xC2);
        Assert.False(TestPhotos.Contains(stored, TestPhotos.Planted));
        Assert.Equal(Pixels(original, MagickFormat.Jpeg), Pixels(stored, MagickFormat.Jpeg));
    }

    [Fact]
    public async Task CmykJpeg_KeepsAdobeMarkerAndPixels_ThumbnailIsSrgb()
    {
        var original = TestPhotos.CmykJpeg();

        var result = await fixture.ProcessAsync(original);

        var stored = await File.ReadAllBytesAsync(result.StoredPath);
        Assert.False(TestPhotos.Contains(stored, TestPhotos.Planted));
        Assert.Contains(JpegSegments.List(stored).Segments, s => s.Marker == 0xEE && s.Head.AsSpan().StartsWith("Adobe"u8));
        Assert.Equal(Pixels(original, MagickFormat.Jpeg, "CMYK"), Pixels(stored, MagickFormat.Jpeg, "CMYK"));
        using var thumbnail = new MagickImage(result.ThumbnailPath!, new MagickReadSettings { Format = MagickFormat.Jpeg });
        Assert.Equal(ColorSpace.sRGB, thumbnail.ColorSpace);
    }

    [Fact]
    public async Task CleanJpeg_IsStoredAsSent()
    {
        using var scene = TestPhotos.Scene(640, 480);
        scene.Strip();
        var original = TestPhotos.Jpeg(scene);

        var source = fixture.Source(original);

        var result = await fixture.Pipeline.ProcessAsync(source, CancellationToken.None);

        // Magick writes only JFIF, which is kept: nothing to strip, so the upload itself is stored.
        Assert.Equal(source.Path, result.StoredPath);
        Assert.Equal(["thumbnail.jpg"], Directory.GetFiles(source.WorkDirectory).Select(Path.GetFileName));
        Assert.False(result.Report!.MetadataStripped);
    }

    [Fact]
    public async Task Png_IsReencodedWithoutTextChunksOrTrailer()
    {
        var original = TestPhotos.PngWithText();
        Assert.Contains("tEXt", JpegSegments.PngChunks(original).Chunks.Concat(["zTXt"]));

        var result = await fixture.ProcessAsync(original, "image/jpeg");

        Assert.Equal("image/png", result.ContentType);
        var stored = await File.ReadAllBytesAsync(result.StoredPath);
        var (chunks, trailing) = JpegSegments.PngChunks(stored);
        Assert.Equal(0, trailing);
        Assert.DoesNotContain(chunks, c => c is "tEXt" or "zTXt" or "iTXt" or "eXIf" or "tIME");
        Assert.False(TestPhotos.Contains(stored, TestPhotos.Planted));
        Assert.DoesNotContain(ExifTool.ReadTags(result.StoredPath).Keys, key => key.Contains("GPS", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(Pixels(original, MagickFormat.Png), Pixels(stored, MagickFormat.Png));
        Assert.Equal("PNG", result.Report!.Format);
        Assert.True(result.Report.MetadataStripped);
        Assert.Equal((640, 480), (result.Report.Width, result.Report.Height));
    }

    [Fact]
    public async Task Heic_IsStoredAsJpegWithoutGps()
    {
        var original = TestPhotos.Heic();
        Assert.True(TestPhotos.Contains(original, "PLANTED-HEIC-SECRET"));

        var result = await fixture.ProcessAsync(original, "application/octet-stream");

        Assert.Equal("image/jpeg", result.ContentType);
        var stored = await File.ReadAllBytesAsync(result.StoredPath);
        Assert.Equal([0xFF, 0xD8, 0xFF], stored[..3]);
        Assert.False(TestPhotos.Contains(stored, TestPhotos.Planted));
        Assert.DoesNotContain(ExifTool.ReadTags(result.StoredPath).Keys, key => key.Contains("GPS", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(0, JpegSegments.List(stored).TrailingBytes);
        var report = result.Report!;
        Assert.Equal(("HEIC", 480, 360), (report.Format, report.Width, report.Height));
        Assert.True(report.MetadataStripped);
        Assert.Equal(PhotoReport.Types.Verdict.Ok, report.Verdict);
        using var thumbnail = new MagickImage(result.ThumbnailPath!, new MagickReadSettings { Format = MagickFormat.Jpeg });
        Assert.Equal((320u, 240u), (thumbnail.Width, thumbnail.Height));
    }

    public static TheoryData<string> DamagedPhotos => new() { "truncated", "truncated+EOI", "bit-flipped", "random", "jpeg-header+random", "png-truncated", "png-bit-flipped", "heic-truncated" };

    [Theory]
    [MemberData(nameof(DamagedPhotos))]
    public async Task DamagedPhoto_IsRejectedWithDriverMessage(string kind)
    {
        var jpeg = TestPhotos.PhoneJpeg(800, 600)[..^22];
        var png = TestPhotos.PngWithText();
        var random = new Random(7);
        byte[] Flip(byte[] source, int from, int flips)
        {
            var copy = (byte[])source.Clone();
            for (var i = 0; i < flips; i++)
            {
                copy[random.Next(from, copy.Length - 64)] ^= (byte)(1 << random.Next(8));
            }

            return copy;
        }

        // One bit flipped in a stuffed zero (FF 00 -> FF 01) of the scan data. Not every flip is detectable
        // (Huffman codes resynchronise and random bits often decode as valid coefficients), this one always is.
        static byte[] FlipStuffedZero(byte[] source, int sos)
        {
            var copy = (byte[])source.Clone();
            var at = copy.AsSpan((sos + copy.Length) / 2).IndexOf([(byte)0xFF, (byte)0x00]) + ((sos + copy.Length) / 2);
            copy[at + 1] ^= 0x01;
            return copy;
        }

        var noise = new byte[50_000];
        random.NextBytes(noise);
        var sos = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        var data = kind switch
        {
            "truncated" => jpeg[..(jpeg.Length / 2)],
            "truncated+EOI" => [.. jpeg[..(jpeg.Length / 2)], 0xFF, 0xD9],
            "bit-flipped" => FlipStuffedZero(jpeg, sos),
            "random" => noise,
            "jpeg-header+random" => [.. jpeg[..(sos + 14)], .. noise.Select(b => b == 0xFF ? (byte)0 : b), 0xFF, 0xD9],
            "png-truncated" => png[..(png.Length / 2)],
            "png-bit-flipped" => Flip(png, 200, 40),
            "heic-truncated" => TestPhotos.Heic()[..3000],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var ex = await Assert.ThrowsAsync<PhotoRejectedException>(() => fixture.ProcessAsync(data));

        Assert.Contains(kind == "random" ? "not a JPEG, PNG or HEIC" : "damaged or incomplete", ex.Message);
    }

    [Fact]
    public async Task DarkPhoto_IsTooDark()
    {
        using var scene = TestPhotos.Scene(800, 600);
        scene.Evaluate(Channels.RGB, EvaluateOperator.Multiply, 0.12);

        var report = (await fixture.ProcessAsync(TestPhotos.Jpeg(scene))).Report!;

        Assert.Equal(PhotoReport.Types.Verdict.TooDark, report.Verdict);
        Assert.True(report.Brightness < fixture.Options.DarkBelow, $"brightness {report.Brightness}");
    }

    [Fact]
    public async Task BlurredPhoto_IsBlurry_SharpOneIsOk()
    {
        using var sharp = TestPhotos.Scene(1600, 1200);
        using var blurred = (MagickImage)sharp.Clone();
        blurred.GaussianBlur(0, 6);

        var sharpReport = (await fixture.ProcessAsync(TestPhotos.Jpeg(sharp))).Report!;
        var blurredReport = (await fixture.ProcessAsync(TestPhotos.Jpeg(blurred))).Report!;

        Assert.Equal(PhotoReport.Types.Verdict.Ok, sharpReport.Verdict);
        Assert.Equal(PhotoReport.Types.Verdict.Blurry, blurredReport.Verdict);
        Assert.True(sharpReport.Sharpness > 2 * fixture.Options.BlurryBelow, $"sharp {sharpReport.Sharpness}");
        Assert.True(blurredReport.Sharpness < fixture.Options.BlurryBelow, $"blurred {blurredReport.Sharpness}");
        Assert.InRange(Math.Abs(sharpReport.Brightness - blurredReport.Brightness), 0, 3);
    }

    [Fact]
    public async Task PerceptualHash_SurvivesReencoding_AndDiffersBetweenScenes()
    {
        using var scene = TestPhotos.Scene(800, 600);
        using var other = TestPhotos.Scene(800, 600);
        other.Flop();

        var jpeg = (await fixture.ProcessAsync(TestPhotos.Jpeg(scene, 95))).Report!.PerceptualHash;
        var png = (await fixture.ProcessAsync(scene.ToByteArray(MagickFormat.Png), "image/png")).Report!.PerceptualHash;
        var lowQuality = (await fixture.ProcessAsync(TestPhotos.Jpeg(scene, 40))).Report!.PerceptualHash;
        var mirrored = (await fixture.ProcessAsync(TestPhotos.Jpeg(other))).Report!.PerceptualHash;

        Assert.Matches("^[0-9a-f]{16}$", jpeg);
        static int Distance(string a, string b) => (int)ulong.PopCount(Convert.ToUInt64(a, 16) ^ Convert.ToUInt64(b, 16));
        Assert.InRange(Distance(jpeg, png), 0, 4);
        Assert.InRange(Distance(jpeg, lowQuality), 0, 4);
        Assert.InRange(Distance(jpeg, mirrored), 16, 64);
    }
}

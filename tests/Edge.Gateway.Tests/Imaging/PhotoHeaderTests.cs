using System.Buffers.Binary;
using Edge.Gateway.Imaging;
using ImageMagick;

namespace Edge.Gateway.Tests.Imaging;

public sealed class PhotoHeaderTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    /// <summary>A real, small JPEG whose SOF0 claims 65,500 x 65,500 pixels (about 4.3 gigapixels).</summary>
    internal static byte[] JpegBomb()
    {
        using var image = TestPhotos.Scene(64, 48);
        image.Settings.Interlace = Interlace.NoInterlace;
        var jpeg = TestPhotos.Jpeg(image);
        var sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65_500);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65_500);
        return jpeg;
    }

    /// <summary>A PNG whose IHDR claims 65,500 x 65,500 (its IDAT would inflate to gigabytes).</summary>
    private static byte[] PngBomb()
    {
        using var image = TestPhotos.Scene(64, 48);
        var png = image.ToByteArray(MagickFormat.Png);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 65_500);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 65_500);
        return png;
    }

    /// <summary>The HEIC fixture with its image extent (ispe) rewritten to 65,500 x 65,500.</summary>
    private static byte[] HeicBomb()
    {
        var heic = TestPhotos.Heic();
        var ispe = heic.AsSpan().IndexOf("ispe"u8);
        Assert.True(ispe > 0);
        BinaryPrimitives.WriteUInt32BigEndian(heic.AsSpan(ispe + 8), 65_500);
        BinaryPrimitives.WriteUInt32BigEndian(heic.AsSpan(ispe + 12), 65_500);
        return heic;
    }

    public static TheoryData<string> Bombs => new() { "jpeg", "png", "heic" };

    private static byte[] Bomb(string kind) => kind switch
    {
        "jpeg" => JpegBomb(),
        "png" => PngBomb(),
        _ => HeicBomb(),
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    public async Task DecompressionBomb_IsRefusedFromTheHeader_WithoutLargeAllocation(string kind)
    {
        var source = fixture.Source(Bomb(kind));

        // The header check runs synchronously on the calling thread, before anything is queued or decoded.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var task = fixture.Pipeline.ProcessAsync(source, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(task.IsFaulted);
        var ex = await Assert.ThrowsAsync<PhotoRejectedException>(() => task);
        Assert.Contains("65500 x 65500 pixels", ex.Message);
        Assert.InRange(allocated, 0, 256 * 1024);
    }

    [Theory]
    [InlineData(16_385, 100, false)]
    [InlineData(100, 16_385, false)]
    [InlineData(16_384, 3_000, true)]
    [InlineData(8_000, 6_251, false)] // 50,008,000 pixels
    [InlineData(8_000, 6_250, true)] // exactly 50 megapixels
    public void DefaultCaps_AreSixteenThousandPixelsASideAndFiftyMegapixels(int width, int height, bool accepted)
    {
        using var image = TestPhotos.Scene(32, 32);
        var jpeg = TestPhotos.Jpeg(image);
        var sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), (ushort)width);

        var check = () => fixture.Pipeline.CheckHeader(fixture.Source(jpeg));

        if (accepted)
        {
            Assert.Equal((PhotoFormat.Jpeg, width, height), ((PhotoFormat, int, int))(check().Format, (int)check().Width, (int)check().Height));
        }
        else
        {
            Assert.Contains("too large", Assert.Throws<PhotoRejectedException>(() => { check(); }).Message);
        }
    }

    [Fact]
    public void FormatIsSniffedFromContent_NotTheDeclaredType()
    {
        using var image = TestPhotos.Scene(64, 48);

        var png = fixture.Pipeline.CheckHeader(fixture.Source(image.ToByteArray(MagickFormat.Png), "image/jpeg"));
        var jpeg = fixture.Pipeline.CheckHeader(fixture.Source(TestPhotos.Jpeg(image), "image/png"));
        var heic = fixture.Pipeline.CheckHeader(fixture.Source(TestPhotos.Heic(), "image/jpeg"));

        Assert.Equal((PhotoFormat.Png, 64L, 48L), (png.Format, png.Width, png.Height));
        Assert.Equal((PhotoFormat.Jpeg, 64L, 48L), (jpeg.Format, jpeg.Width, jpeg.Height));
        Assert.Equal((PhotoFormat.Heic, 480L, 360L), (heic.Format, heic.Width, heic.Height));
    }

    [Theory]
    [InlineData("gif")]
    [InlineData("webp")]
    [InlineData("avif-brand")]
    [InlineData("empty")]
    public void OtherFormats_AreRefused(string kind)
    {
        using var image = TestPhotos.Scene(64, 48);
        var data = kind switch
        {
            "gif" => image.ToByteArray(MagickFormat.Gif),
            "webp" => image.ToByteArray(MagickFormat.WebP),
            "avif-brand" => RebrandAsAvif(TestPhotos.Heic()),
            _ => [],
        };

        var ex = Assert.Throws<PhotoRejectedException>(() => fixture.Pipeline.CheckHeader(fixture.Source(data)));

        Assert.Equal(PhotoMessages.UnsupportedFormat, ex.Message);
    }

    private static byte[] RebrandAsAvif(byte[] heic)
    {
        var copy = (byte[])heic.Clone();
        "avif"u8.CopyTo(copy.AsSpan(8)); // major brand
        return copy;
    }

    [Fact]
    public void OversizedFile_IsRefusedBeforeItsHeaderIsRead()
    {
        var options = new PhotoOptions { MaxBytes = 4096 };
        using var pipeline = PipelineFixture.Create(options);
        using var image = TestPhotos.Scene(400, 300);

        var ex = Assert.Throws<PhotoRejectedException>(() => pipeline.CheckHeader(fixture.Source(TestPhotos.Jpeg(image))));

        Assert.Contains("file is too large", ex.Message);
    }
}

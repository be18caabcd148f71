using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;
using ImageMagick;

namespace Edge.Gateway.Tests.Imaging.Faces;

/// <summary>
/// The face search reduces its tiles itself instead of asking ImageMagick; the detector's scores (and the margin that
/// keeps printed faces on parcels unblurred) depend on those pixels, so they must be ImageMagick's.
/// </summary>
public sealed class RgbPictureTests
{
    [Fact]
    public void Read_GivesTheRgbBytesImageMagickExports()
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 7, width: 600, height: 450));
        var expected = picture.GetPixelsUnsafe().ToByteArray("RGB")!;

        using var rgb = RgbPicture.Read(picture);

        Assert.Equal(expected, rgb.Values.AsSpan(0, expected.Length).ToArray());
    }

    [Fact]
    public void Read_GreyPicture_GivesRgb()
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 7, width: 300, height: 200));
        picture.Grayscale();
        var expected = picture.GetPixelsUnsafe().ToByteArray("RGB")!;

        using var rgb = RgbPicture.Read(picture);

        Assert.Equal(300 * 200 * 3, expected.Length);
        Assert.Equal(expected, rgb.Values.AsSpan(0, expected.Length).ToArray());
    }

    [Fact]
    public void Read_Area_GivesTheRgbBytesImageMagickExportsForIt()
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 7, width: 600, height: 450));
        var expected = picture.GetPixelsUnsafe().ToByteArray(130, 40, 211, 97, "RGB")!;

        using var rgb = RgbPicture.Read(picture, 130, 40, 211, 97);

        Assert.Equal((211, 97), (rgb.Width, rgb.Height));
        Assert.Equal(expected, rgb.Values.AsSpan(0, expected.Length).ToArray());
    }

    [Fact]
    public void Average_BlocksOfWholePixels_MatchImageMagicksScale()
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 5, width: 600, height: 450));
        using var scaled = (MagickImage)picture.Clone();
        scaled.Scale(new MagickGeometry(6, 5) { IgnoreAspectRatio = true });
        var expected = scaled.GetPixelsUnsafe().ToByteArray("RGB")!;

        using var rgb = RgbPicture.Read(picture);
        using var blocks = rgb.Average(6, 5);

        Assert.Equal((6, 5), (blocks.Width, blocks.Height));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - blocks.Values[i]) <= 1, $"value {i}: {blocks.Values[i]}, ImageMagick {expected[i]}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_ReplacesTheRectangleAndNothingElse(bool grey)
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 9, width: 400, height: 300));
        if (grey)
        {
            picture.Grayscale();
        }

        using var before = RgbPicture.Read(picture);
        using var corner = RgbPicture.Read(picture, 0, 0, 90, 60);
        using var blocks = corner.Average(3, 2);
        using var patch = blocks.Resize(0, 0, 3, 2, 90, 60);

        patch.Write(picture, 250, 200);

        using var after = RgbPicture.Read(picture);
        for (var y = 0; y < 300; y++)
        {
            for (var x = 0; x < 400; x++)
            {
                var inside = x is >= 250 and < 340 && y is >= 200 and < 260;
                for (var c = 0; c < 3; c++)
                {
                    var value = after.Values[(((y * 400) + x) * 3) + c];
                    var expected = inside ? patch.Values[((((y - 200) * 90) + x - 250) * 3) + c] : before.Values[(((y * 400) + x) * 3) + c];
                    Assert.True(Math.Abs(value - expected) <= (grey ? 1 : 0), $"({x}, {y}) channel {c}: {value}, expected {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData(0, 0, 1500, 1125, 256, 192)] // the whole picture of a 4000x3000 photo
    [InlineData(525, 393, 975, 731, 256, 192)] // a tile of the 2x2 grid
    [InlineData(0, 0, 1500, 1125, 1200, 900)] // the picture of the fine tiles
    [InlineData(10, 20, 300, 900, 85, 256)] // reduced more across than down
    [InlineData(40, 30, 200, 100, 256, 128)] // enlarged
    [InlineData(0, 0, 1125, 1125, 480, 480)] // reduced alike both ways
    [InlineData(0, 0, 750, 1000, 360, 480)] // reduced alike both ways, upright
    public void Resize_MatchesImageMagicksTriangleFilter(int x, int y, int width, int height, int targetWidth, int targetHeight)
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 3, width: 1500, height: 1125));
        using var tile = (MagickImage)picture.CloneArea(new MagickGeometry(x, y, (uint)width, (uint)height));
        tile.Resize(new MagickGeometry((uint)targetWidth, (uint)targetHeight) { IgnoreAspectRatio = true }, FilterType.Triangle);
        var expected = tile.GetPixelsUnsafe().ToByteArray("RGB")!;

        using var rgb = RgbPicture.Read(picture);
        using var reduced = rgb.Resize(x, y, width, height, targetWidth, targetHeight);

        // ImageMagick adds in double precision, the search in single: a value in a few hundred may round the other way.
        var differing = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs(expected[i] - reduced.Values[i]);
            Assert.True(difference <= 2, $"value {i}: {reduced.Values[i]}, ImageMagick {expected[i]}");
            differing += difference == 0 ? 0 : 1;
        }

        Assert.True(differing <= expected.Length / 100, $"{differing} of {expected.Length} values differ from ImageMagick's");
        Assert.Equal((targetWidth, targetHeight), (reduced.Width, reduced.Height));
    }

    [Theory]
    [InlineData(1500, 1125, 640)] // the analysis picture of a 4000x3000 photo searched for faces
    [InlineData(1125, 1500, 640)] // upright
    [InlineData(1001, 749, 640)] // sizes ImageMagick rounds
    [InlineData(640, 480, 320)] // the thumbnail
    public void Reduce_RgbPicture_GivesImageMagicksSizeAndPixelsAndKeepsItsProfile(int width, int height, int side)
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 4, width: (uint)width, height: (uint)height));
        picture.SetProfile(ColorProfiles.AdobeRGB1998);
        using var expected = (MagickImage)picture.Clone();
        expected.Resize(new MagickGeometry((uint)side, (uint)side), FilterType.Triangle);
        var expectedValues = expected.GetPixelsUnsafe().ToByteArray("RGB")!;

        RgbPicture.Reduce(picture, side);

        Assert.Equal((expected.Width, expected.Height), (picture.Width, picture.Height));
        Assert.Equal((0, 0), (picture.Page.X, picture.Page.Y));
        Assert.Equal(ColorProfiles.AdobeRGB1998.ToByteArray(), picture.GetColorProfile()?.ToByteArray());
        var values = picture.GetPixelsUnsafe().ToByteArray("RGB")!;
        Assert.Equal(expectedValues.Length, values.Length);
        // Halved exactly (640 to 320), many sums fall half-way between two values, where single and double precision
        // round apart: about one value in ten is one off then; never more than two, never a shift on average.
        long total = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var difference = values[i] - expectedValues[i];
            Assert.True(Math.Abs(difference) <= 2, $"value {i}: {values[i]}, ImageMagick {expectedValues[i]}");
            total += Math.Abs(difference);
        }

        Assert.True(total <= values.Length * 0.12, $"mean difference {total / (double)values.Length:0.###} from ImageMagick's");
    }

    [Fact]
    public void Reduce_GreyPicture_IsReducedByImageMagick()
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 4, width: 900, height: 700));
        picture.Grayscale();
        using var expected = (MagickImage)picture.Clone();
        expected.Resize(new MagickGeometry(640, 640), FilterType.Triangle);

        RgbPicture.Reduce(picture, 640);

        Assert.Equal((640u, 498u), (picture.Width, picture.Height));
        Assert.Equal(expected.GetPixelsUnsafe().ToByteArray("RGB"), picture.GetPixelsUnsafe().ToByteArray("RGB"));
    }

    [Fact]
    public void Resize_OutsideThePicture_Throws()
    {
        using var picture = new MagickImage(PorchScenes.Jpeg(seed: 3, width: 300, height: 200));
        using var rgb = RgbPicture.Read(picture);

        Assert.Throws<ArgumentOutOfRangeException>(() => rgb.Resize(200, 0, 101, 200, 50, 50));
    }
}

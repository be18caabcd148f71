using Edge.Gateway.Imaging;

namespace Edge.Gateway.Tests.Imaging;

public sealed class PhotoMeasuresTests
{
    private static byte[] Raster(int width, int height, Func<int, int, int> value)
    {
        var raster = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                raster[(y * width) + x] = (byte)value(x, y);
            }
        }

        return raster;
    }

    [Fact]
    public void Brightness_IsMeanLuma()
    {
        Assert.Equal(100, PhotoMeasures.Brightness(Raster(10, 10, (x, _) => x < 5 ? 50 : 150)));
    }

    [Fact]
    public void Sharpness_IsZeroForFlatAndLinearRasters_AndLargeForEdges()
    {
        Assert.Equal(0, PhotoMeasures.Sharpness(Raster(20, 20, (_, _) => 90), 20, 20));
        Assert.Equal(0, PhotoMeasures.Sharpness(Raster(20, 20, (x, _) => x * 10), 20, 20), 9);
        var checkerboard = PhotoMeasures.Sharpness(Raster(20, 20, (x, y) => ((x + y) % 2) * 200), 20, 20);
        var soft = PhotoMeasures.Sharpness(Raster(20, 20, (x, y) => 100 + (((x + y) % 2) * 20)), 20, 20);
        Assert.Equal(640_000, checkerboard, 6); // every interior response is ±800
        Assert.True(soft < checkerboard / 50);
    }

    [Fact]
    public void DifferenceHash_SetsABitWhereTheRightCellIsBrighter()
    {
        Assert.Equal(ulong.MaxValue, PhotoMeasures.DifferenceHash(Raster(90, 80, (x, _) => x * 2), 90, 80));
        Assert.Equal(0UL, PhotoMeasures.DifferenceHash(Raster(90, 80, (x, _) => 200 - (x * 2)), 90, 80));
        // Top half brightening to the right, bottom half darkening: the first 32 bits set.
        Assert.Equal(0xFFFF_FFFF_0000_0000UL, PhotoMeasures.DifferenceHash(Raster(90, 80, (x, y) => y < 40 ? x : 200 - x), 90, 80));
        Assert.Equal("ffffffff00000000", PhotoMeasures.ToHex(0xFFFF_FFFF_0000_0000UL));
        Assert.Equal("000000000000000a", PhotoMeasures.ToHex(10));
    }
}

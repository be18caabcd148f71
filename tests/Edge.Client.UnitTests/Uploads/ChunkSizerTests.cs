using Edge.Client.Uploads;

namespace Edge.Client.UnitTests.Uploads;

/// <summary>A chunk is what the link delivers in 75 ms, in whole pages, within the bounds; failures do not move it.</summary>
public sealed class ChunkSizerTests
{
    private const int Min = 4 * 1024;
    private const int Initial = 16 * 1024;
    private const int Max = 256 * 1024;

    [Fact]
    public void Current_NothingMeasured_IsTheInitialSize()
    {
        var sizer = new ChunkSizer(Min, Initial, Max);

        sizer.Follow(null);

        Assert.Equal(Initial, sizer.Current);
    }

    [Theory]
    [InlineData(125_000, 8 * 1024)]       // 1 Mbit/s: 9,375 B in 75 ms, down to whole pages
    [InlineData(250_000, 16 * 1024)]      // 2 Mbit/s: 18,750 B
    [InlineData(1_250_000, 88 * 1024)]    // 10 Mbit/s: 93,750 B
    [InlineData(12_500, Min)]             // 100 kbit/s: 937 B, below the least chunk
    [InlineData(12_500_000, Max)]         // 100 Mbit/s: capped
    public void Follow_DeliveryRate_IsAboutSeventyFiveMillisecondsOfIt(double bytesPerSecond, int expected)
    {
        var sizer = new ChunkSizer(Min, Initial, Max);

        sizer.Follow(bytesPerSecond);

        Assert.Equal(expected, sizer.Current);
        Assert.Equal(0, sizer.Current % ChunkSizer.Granule);
    }

    [Fact]
    public void Reset_AfterANetworkChange_GoesBackToTheInitialSize()
    {
        var sizer = new ChunkSizer(Min, Initial, Max);
        sizer.Follow(12_500_000);

        sizer.Reset();

        Assert.Equal(Initial, sizer.Current);
    }
}

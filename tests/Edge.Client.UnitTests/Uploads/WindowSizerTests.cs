using Edge.Client.Uploads;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Client.UnitTests.Uploads;

/// <summary>The unacknowledged window follows the link: delivery rate times two round trips in whole chunks, plus two chunks.</summary>
public sealed class WindowSizerTests
{
    private const int Chunk = 64 * 1024;
    private const int Maximum = 512 * 1024;

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Window_NothingMeasured_IsTheMaximum()
    {
        var sizer = new WindowSizer(Maximum, _time);

        Assert.Equal(Maximum, sizer.Window(Chunk));
        Assert.Null(sizer.DeliveryRate);
    }

    [Fact]
    public void Window_SlowLink_IsDeliveryRateTimesTwoRoundTripsInWholeChunksPlusTwoChunks()
    {
        var sizer = new WindowSizer(Maximum, _time);
        sizer.OnRoundTrip(TimeSpan.FromMilliseconds(400));

        // A chunk acknowledged every 500 ms: 131,072 B/s, 104,858 B in two round trips: two whole chunks, plus two.
        AcknowledgeEvery(sizer, TimeSpan.FromMilliseconds(500), count: 10);

        Assert.Equal(4 * Chunk, sizer.Window(Chunk));
        // With 16 KiB chunks the same link needs seven of them on the way, plus two.
        Assert.Equal(9 * 16 * 1024, sizer.Window(16 * 1024));
        Assert.Equal(131_072, sizer.DeliveryRate);
    }

    [Fact]
    public void Window_AcknowledgementsHeldBackForASecond_KeepsTheLinksRate()
    {
        var sizer = new WindowSizer(Maximum, _time);
        sizer.OnRoundTrip(TimeSpan.FromMilliseconds(400));
        AcknowledgeEvery(sizer, TimeSpan.FromMilliseconds(500), count: 10);
        var before = sizer.Window(Chunk);

        // A lost segment holds acknowledgements back; then they all come at once.
        _time.Advance(TimeSpan.FromSeconds(1.5));
        sizer.OnAcknowledged(3 * Chunk, TimeSpan.FromSeconds(2));

        Assert.True(sizer.Window(Chunk) >= before, $"{sizer.Window(Chunk)} < {before}");
    }

    [Fact]
    public void Window_FastLink_IsCappedAtTheMaximum()
    {
        var sizer = new WindowSizer(Maximum, _time);
        sizer.OnRoundTrip(TimeSpan.FromMilliseconds(100));

        AcknowledgeEvery(sizer, TimeSpan.FromMilliseconds(10), count: 300);

        Assert.Equal(Maximum, sizer.Window(Chunk));
    }

    [Fact]
    public void Window_VerySlowLink_KeepsOneChunkOnTheWay()
    {
        var sizer = new WindowSizer(Maximum, _time);
        sizer.OnRoundTrip(TimeSpan.FromMilliseconds(400));

        AcknowledgeEvery(sizer, TimeSpan.FromSeconds(20), count: 5);

        // 3,277 B/s: less than a chunk per round trip, still one whole chunk on the way.
        Assert.Equal(3 * Chunk, sizer.Window(Chunk));
    }

    [Fact]
    public void Window_AfterReset_IsTheMaximumAgain()
    {
        var sizer = new WindowSizer(Maximum, _time);
        sizer.OnRoundTrip(TimeSpan.FromMilliseconds(400));
        AcknowledgeEvery(sizer, TimeSpan.FromMilliseconds(500), count: 10);
        Assert.True(sizer.Window(Chunk) < Maximum);

        sizer.Reset();

        Assert.Equal(Maximum, sizer.Window(Chunk));
    }

    private void AcknowledgeEvery(WindowSizer sizer, TimeSpan interval, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _time.Advance(interval);
            sizer.OnAcknowledged(Chunk, TimeSpan.FromSeconds(1.5));
        }
    }
}

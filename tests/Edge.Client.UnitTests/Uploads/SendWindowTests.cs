using Edge.Client.Uploads;
using Edge.V1;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Client.UnitTests.Uploads;

/// <summary>What one upload stream sends before and after the gateway's started answer.</summary>
public sealed class SendWindowTests
{
    private const int Chunk = 64 * 1024;
    private const long Size = 3_000_000;

    private static SendWindow Window(long acknowledged)
    {
        var time = new FakeTimeProvider();
        return new SendWindow(acknowledged, new WindowSizer(256 * 1024, time), time);
    }

    /// <summary>A new stream's window, after the one chunk it sends before the started answer.</summary>
    private static SendWindow WindowWithChunkSentBeforeStarted(long acknowledged)
    {
        var window = Window(acknowledged);
        var (offset, length, _) = window.NextChunk(Size, Chunk);
        window.Sent(offset, length);
        return window;
    }

    [Fact]
    public void NextChunk_BeforeStarted_OneShortChunkFromTheAcknowledgedOffset()
    {
        var window = Window(acknowledged: 655_360);

        var (offset, length, wait) = window.NextChunk(Size, Chunk);
        window.Sent(offset, length);
        var second = window.NextChunk(Size, Chunk);

        Assert.Null(wait);
        Assert.Equal(655_360, offset);
        Assert.Equal(SendWindow.BeforeStartedBytes, length);
        Assert.NotNull(second.Wait);
        Assert.False(second.Wait.IsCompleted);
    }

    [Theory]
    [InlineData(8 * 1024, new[] { 8 * 1024, 8 * 1024 })]
    [InlineData(12 * 1024, new[] { 12 * 1024, 4 * 1024 })]
    public void NextChunk_BeforeStarted_SmallChunksUpToTheBytesSentBeforeStarted(int chunk, int[] expected)
    {
        var window = Window(acknowledged: 655_360);
        var lengths = new List<int>();
        var next = window.NextChunk(Size, chunk);
        while (next.Wait is null)
        {
            Assert.Equal(655_360 + lengths.Sum(), next.Offset);
            window.Sent(next.Offset, next.Length);
            lengths.Add(next.Length);
            next = window.NextChunk(Size, chunk);
        }

        Assert.Equal(expected, lengths);
        Assert.False(next.Wait.IsCompleted);
        window.Started(655_360);
        Assert.Equal(655_360 + SendWindow.BeforeStartedBytes, window.NextChunk(Size, chunk).Offset);
    }

    [Fact]
    public void NextChunk_AfterACutWithBytesUnacknowledged_SendsAheadFromTheLastAcknowledgement()
    {
        var time = new FakeTimeProvider();
        var cut = new SendWindow(0, new WindowSizer(256 * 1024, time), time);
        cut.Started(0);
        var (offset, length, _) = cut.NextChunk(Size, Chunk);
        cut.Sent(offset, length);
        cut.Sent(offset + length, length);
        cut.Acknowledged(length);

        // The gateway had kept the second chunk too (its acknowledgement was lost with the cut).
        var next = new SendWindow(cut.AcknowledgedOffset, new WindowSizer(256 * 1024, time), time);
        var before = next.NextChunk(Size, Chunk);
        next.Sent(before.Offset, before.Length);
        next.Started(2 * Chunk);
        var after = next.NextChunk(Size, Chunk);

        Assert.Null(before.Wait);
        Assert.Equal(Chunk, before.Offset);
        Assert.Equal(SendWindow.BeforeStartedBytes, before.Length);
        Assert.Null(after.Wait);
        Assert.Equal(2 * Chunk, after.Offset);
    }

    [Fact]
    public void Started_PastWhatWasSent_ContinuesFromTheGatewaysOffset()
    {
        var window = WindowWithChunkSentBeforeStarted(acknowledged: 655_360);

        window.Started(720_896);
        var next = window.NextChunk(Size, Chunk);

        Assert.Equal(720_896, next.Offset);
        Assert.Equal(Chunk, next.Length);
        Assert.Equal(720_896, window.AcknowledgedOffset);
    }

    [Fact]
    public void Started_WithinWhatWasSent_ContinuesAfterIt()
    {
        var window = WindowWithChunkSentBeforeStarted(acknowledged: 655_360);

        // The gateway held less than the chunk sent before the answer: it keeps that chunk's new bytes.
        window.Started(660_000);

        Assert.Equal(655_360 + SendWindow.BeforeStartedBytes, window.NextChunk(Size, Chunk).Offset);
    }

    [Fact]
    public void Started_BelowTheAssumedOffset_RewindsAndIgnoresRefusalsOfChunksAlreadySent()
    {
        var window = WindowWithChunkSentBeforeStarted(acknowledged: 655_360);

        // The gateway lost the upload: it starts from 0 and refuses the chunk that was on its way.
        window.Started(0);
        var refusedInFlight = window.Rejected(new ChunkRejected
        {
            Reason = ChunkRejected.Types.Reason.WrongOffset, Offset = 655_360, ExpectedOffset = 0,
        });
        var next = window.NextChunk(Size, Chunk);

        Assert.False(refusedInFlight);
        Assert.Equal(0, next.Offset);
        Assert.Equal(0, window.AcknowledgedOffset);
    }

    [Fact]
    public void Sent_ChunkChosenBeforeARefusal_IsStale_AndTheSenderResendsFromTheRefusal()
    {
        var window = WindowWithChunkSentBeforeStarted(acknowledged: 0);
        window.Started(0);
        var first = window.NextChunk(Size, Chunk);
        Assert.True(window.Sent(first.Offset, first.Length));

        // The sender has chosen its next chunk and is reading it from the file when the gateway refuses an earlier one.
        var chosen = window.NextChunk(Size, Chunk);
        var rewound = window.Rejected(new ChunkRejected
        {
            Reason = ChunkRejected.Types.Reason.Crc32CMismatch, Offset = SendWindow.BeforeStartedBytes, ExpectedOffset = SendWindow.BeforeStartedBytes,
        });
        var sent = window.Sent(chosen.Offset, chosen.Length);
        var next = window.NextChunk(Size, Chunk);

        Assert.True(rewound);
        Assert.True(chosen.Offset > SendWindow.BeforeStartedBytes);
        Assert.False(sent);
        Assert.Null(next.Wait);
        Assert.Equal(SendWindow.BeforeStartedBytes, next.Offset);
    }

    [Fact]
    public void NextChunk_AfterStarted_StaysWithinTheWindow()
    {
        var window = Window(acknowledged: 0);
        window.Started(0);
        var sent = new List<long>();
        while (window.NextChunk(Size, Chunk) is { Wait: null } next)
        {
            window.Sent(next.Offset, next.Length);
            sent.Add(next.Offset);
        }

        // Nothing measured yet: the configured maximum, 256 KiB, four chunks.
        Assert.Equal([0, Chunk, 2 * Chunk, 3 * Chunk], sent);
        window.Acknowledged(Chunk);
        Assert.Equal(4 * Chunk, window.NextChunk(Size, Chunk).Offset);
    }
}

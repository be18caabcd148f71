using Edge.Gateway.Proofs;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Tests.Infrastructure;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>
/// One contract for receipt changes (IReceiptFeed): in-process in embedded mode, Redis pub/sub between replicas in
/// Redis mode. What must not arrive is checked once a change published after it has arrived, never by waiting a while.
/// </summary>
public abstract class ReceiptFeedContract : IDisposable
{
    internal abstract IReceiptFeed Publisher { get; }

    /// <summary>The feed a watcher subscribes on: another replica's in Redis mode, the same one in embedded mode.</summary>
    internal abstract IReceiptFeed Subscriber { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static ReceiptRecord Receipt(string proofId) => new(proofId, ProofState.Committed, string.Empty, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Publish_ReachesTheDevicesWatchersOnly()
    {
        var seen = new Watcher();
        await using var subscription = await Subscriber.SubscribeAsync("d1", seen.Add, default);

        await Publisher.PublishAsync("d2", Receipt("of-d2"), default);
        await Publisher.PublishAsync("d1", Receipt("of-d1"), default);

        Assert.Equal(["of-d1"], await seen.UntilAsync("of-d1"));
    }

    [Fact]
    public async Task DisposedSubscription_GetsNothingMore()
    {
        var gone = new Watcher();
        var staying = new Watcher();
        var subscription = await Subscriber.SubscribeAsync("d1", gone.Add, default);
        await using var other = await Subscriber.SubscribeAsync("d1", staying.Add, default);

        await Publisher.PublishAsync("d1", Receipt("first"), default);
        await gone.UntilAsync("first");
        await subscription.DisposeAsync();
        await Publisher.PublishAsync("d1", Receipt("second"), default);

        await staying.UntilAsync("first");
        Assert.Equal(["first", "second"], (await staying.UntilAsync("second")).Order());
        Assert.Equal(["first"], gone.Seen);
    }

    /// <summary>Collects the proof ids a subscription delivers.</summary>
    internal sealed class Watcher
    {
        private readonly List<string> _seen = [];
        private readonly System.Threading.Channels.Channel<string> _arrived = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public IReadOnlyList<string> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public void Add(ReceiptRecord receipt)
        {
            lock (_seen)
            {
                _seen.Add(receipt.ProofId);
            }

            _arrived.Writer.TryWrite(receipt.ProofId);
        }

        /// <summary>Waits until <paramref name="proofId"/> arrived (a hang guard, not a measure); returns all seen so far.</summary>
        public async Task<IReadOnlyList<string>> UntilAsync(string proofId)
        {
            using var hangGuard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!Seen.Contains(proofId))
            {
                await _arrived.Reader.ReadAsync(hangGuard.Token);
            }

            return Seen;
        }
    }
}

public sealed class InProcessReceiptFeedTests : ReceiptFeedContract
{
    public InProcessReceiptFeedTests() => Publisher = Subscriber = new InProcessReceiptFeed(new LocalReceiptWatchers());

    internal override IReceiptFeed Publisher { get; }

    internal override IReceiptFeed Subscriber { get; }
}

[Collection(RedisCollection.Name)]
public sealed class RedisReceiptFeedTests : ReceiptFeedContract
{
    private readonly RedisBackend _publisherReplica;
    private readonly RedisBackend _subscriberReplica;

    public RedisReceiptFeedTests(RedisServer server)
    {
        _publisherReplica = new RedisBackend(server, new FakeTimeProvider());
        _subscriberReplica = new RedisBackend(server, new FakeTimeProvider());
        var keys = new RedisKeys(_publisherReplica.Edge);
        Publisher = new RedisReceiptFeed(_publisherReplica.Redis, keys, new LocalReceiptWatchers());
        Subscriber = new RedisReceiptFeed(_subscriberReplica.Redis, keys, new LocalReceiptWatchers());
    }

    internal override IReceiptFeed Publisher { get; }

    internal override IReceiptFeed Subscriber { get; }

    [Fact]
    public async Task MessageOfAReplicaOfThePreviousVersion_IsDelivered()
    {
        var seen = new Watcher();
        await using var subscription = await Subscriber.SubscribeAsync("d1", seen.Add, default);
        var receipt = new V1.ProofReceipt { ProofId = "of-old", Status = V1.ProofStatus.Committed }.ToByteArray();

        // That version's message: the device id's length (2 bytes), the device id, the edge.v1 receipt.
        await _publisherReplica.Redis.GetSubscriber().PublishAsync(new RedisKeys(_publisherReplica.Edge).Receipts, (byte[])[0, 2, (byte)'d', (byte)'1', .. receipt]);

        Assert.Equal(["of-old"], await seen.UntilAsync("of-old"));
    }

    public override void Dispose()
    {
        ((IDisposable)Publisher).Dispose();
        ((IDisposable)Subscriber).Dispose();
        _publisherReplica.Dispose();
        _subscriberReplica.Dispose();
        base.Dispose();
    }
}

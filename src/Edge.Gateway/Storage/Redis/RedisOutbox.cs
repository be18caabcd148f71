using System.Globalization;
using Edge.Gateway.Forwarding;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// The outbox as one Redis Stream per lane with the consumer group <c>forwarders</c>. New entries are read with
/// XREADGROUP; entries pending on a consumer that stopped renewing them (its replica died) are taken over with
/// XAUTOCLAIM after the claim timeout; a live forwarder renews what it holds with XCLAIM. Completed entries are
/// acknowledged and deleted, so the stream's length is the backlog. Nothing is trimmed by length or age.
/// </summary>
internal sealed class RedisOutbox(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ForwardingOptions> options, TimeProvider timeProvider) : IOutbox
{
    /// <summary>
    /// Lua that defines <c>outbox_append(stream, item, payload, enqueued_ms)</c>: the one place an outbox entry is
    /// written and its fields laid out (<c>i</c> item id, <c>p</c> payload, <c>t</c> enqueued ms). Scan and proof intake
    /// prepend it to their scripts, so an entry is queued in the same atomic step as the record it forwards.
    /// </summary>
    public const string AppendFunction = """
        local function outbox_append(stream, item, payload, enqueued_ms)
          return redis.call('XADD', stream, '*', 'i', item, 'p', payload, 't', enqueued_ms)
        end

        """;

    private const string EnqueueScript = AppendFunction + "return outbox_append(KEYS[1], ARGV[1], ARGV[2], ARGV[3])";

    private readonly bool[] _groupReady = new bool[2];

    private IDatabase Db => redis.GetDatabase();

    public async Task<IReadOnlyList<OutboxEntry>> TakeAsync(OutboxLane lane, string consumer, int max, CancellationToken cancellationToken)
    {
        await EnsureGroupAsync(lane);
        var key = keys.Outbox(lane);
        var taken = new List<OutboxEntry>();
        var claimed = await Db.StreamAutoClaimAsync(key, RedisKeys.ForwarderGroup, consumer,
            (long)options.Value.ClaimTimeout.TotalMilliseconds, "0-0", max);
        Map(lane, claimed.ClaimedEntries, taken);
        if (claimed.DeletedIds.Length > 0)
        {
            await Db.StreamAcknowledgeAsync(key, RedisKeys.ForwarderGroup, claimed.DeletedIds);
        }

        if (taken.Count < max)
        {
            var fresh = await Db.StreamReadGroupAsync(key, RedisKeys.ForwarderGroup, consumer, StreamPosition.NewMessages, max - taken.Count);
            Map(lane, fresh, taken);
        }

        return taken;
    }

    public async Task RenewAsync(OutboxLane lane, string consumer, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count > 0)
        {
            await Db.StreamClaimIdsOnlyAsync(keys.Outbox(lane), RedisKeys.ForwarderGroup, consumer, 0,
                entries.Select(e => (RedisValue)e.EntryId).ToArray());
        }
    }

    public async Task CompleteAsync(OutboxLane lane, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var key = keys.Outbox(lane);
        var ids = entries.Select(e => (RedisValue)e.EntryId).ToArray();
        var transaction = Db.CreateTransaction();
        _ = transaction.StreamAcknowledgeAsync(key, RedisKeys.ForwarderGroup, ids);
        _ = transaction.StreamDeleteAsync(key, ids);
        await transaction.ExecuteAsync();
    }

    public async Task EnqueueAsync(OutboxLane lane, string itemId, byte[] payload, CancellationToken cancellationToken)
        => await Db.ScriptEvaluateAsync(EnqueueScript, [keys.Outbox(lane)], [itemId, payload, timeProvider.GetUtcNow().ToUnixTimeMilliseconds()]);

    /// <summary>
    /// The entries this replica's earlier processes held (pending on consumers named after the replica) are marked idle
    /// past the claim timeout (XCLAIM with IDLE, to the same consumer), so the next XAUTOCLAIM of any forwarder takes
    /// them at once. The caller holds the replica id's lease, so no live process of this replica still works on them.
    /// Other replicas' entries are left: their owners may be alive, and a dead one's are claimed after the timeout.
    /// </summary>
    public async Task<long> ReleaseStaleLeasesAsync(string replicaId, CancellationToken cancellationToken)
    {
        var prefix = IReplicaIdentity.ConsumerPrefix(replicaId);
        var idleMs = (long)options.Value.ClaimTimeout.TotalMilliseconds + 1000;
        long released = 0;
        foreach (var lane in new[] { OutboxLane.Scans, OutboxLane.Proofs })
        {
            await EnsureGroupAsync(lane);
            var key = keys.Outbox(lane);
            foreach (var consumer in await Db.StreamConsumerInfoAsync(key, RedisKeys.ForwarderGroup))
            {
                if (consumer.PendingMessageCount == 0 || !consumer.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                RedisValue after = "-";
                while (true)
                {
                    var pending = await Db.StreamPendingMessagesAsync(key, RedisKeys.ForwarderGroup, 1000, consumer.Name, after, "+");
                    if (pending.Length == 0)
                    {
                        break;
                    }

                    var arguments = new List<object> { key.ToString(), RedisKeys.ForwarderGroup, consumer.Name, 0 };
                    arguments.AddRange(pending.Select(p => (object)p.MessageId.ToString()));
                    arguments.AddRange(["IDLE", idleMs, "JUSTID"]);
                    await Db.ExecuteAsync("XCLAIM", [.. arguments]);
                    released += pending.Length;
                    after = "(" + pending[^1].MessageId;
                    if (pending.Length < 1000)
                    {
                        break;
                    }
                }
            }
        }

        return released;
    }

    public async Task<OutboxBacklog> GetBacklogAsync(OutboxLane lane, CancellationToken cancellationToken)
    {
        var key = keys.Outbox(lane);
        var depth = await Db.StreamLengthAsync(key);
        if (depth == 0)
        {
            return new OutboxBacklog(0, null);
        }

        var first = await Db.StreamRangeAsync(key, "-", "+", 1);
        return new OutboxBacklog(depth, first.Length == 0 ? null : EnqueuedAt(first[0]));
    }

    private async Task EnsureGroupAsync(OutboxLane lane)
    {
        if (_groupReady[(int)lane])
        {
            return;
        }

        try
        {
            await Db.StreamCreateConsumerGroupAsync(keys.Outbox(lane), RedisKeys.ForwarderGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another replica (or an earlier run) created it.
        }

        _groupReady[(int)lane] = true;
    }

    private static void Map(OutboxLane lane, StreamEntry[] entries, List<OutboxEntry> into)
    {
        foreach (var entry in entries)
        {
            if (entry.IsNull)
            {
                continue;
            }

            var payload = entry["p"];
            into.Add(new OutboxEntry(entry.Id!, lane, entry["i"]!, payload.IsNull ? [] : (byte[])payload!, EnqueuedAt(entry)));
        }
    }

    private static DateTimeOffset EnqueuedAt(StreamEntry entry)
    {
        var t = entry["t"];
        if (!t.IsNull && long.TryParse((string?)t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        // Stream ids start with the server's time in ms.
        var id = (string)entry.Id!;
        return DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(id[..id.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture));
    }
}

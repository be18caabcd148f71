using Edge.Gateway.Forwarding;
using Edge.Gateway.Scans;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Scan intake in Redis: one script per batch sets each event's dedupe key (NX, expiring after the dedupe window)
/// and, only when it was new, appends the event to the scan outbox stream. Atomic, so an event is never remembered
/// without being queued.
/// </summary>
internal sealed class RedisScanStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ForwardingOptions> options, TimeProvider timeProvider) : IScanStore
{
    // KEYS[1]: outbox stream; KEYS[2..n+1]: dedupe keys. ARGV[1]: retention ms; ARGV[2]: now ms; ARGV[2+i]: event id, ARGV[2+n+i]: payload.
    private const string AddScript = RedisOutbox.AppendFunction + """
        local n = #KEYS - 1
        local out = {}
        for i = 1, n do
          if redis.call('SET', KEYS[i + 1], '1', 'NX', 'PX', ARGV[1]) then
            outbox_append(KEYS[1], ARGV[2 + i], ARGV[2 + n + i], ARGV[2])
            out[i] = 1
          else
            out[i] = 0
          end
        end
        return out
        """;

    public async Task<bool[]> AddAsync(IReadOnlyList<global::Core.V1.ScanEvent> events, CancellationToken cancellationToken)
    {
        var keyList = new RedisKey[events.Count + 1];
        var args = new RedisValue[2 + (2 * events.Count)];
        keyList[0] = keys.Outbox(OutboxLane.Scans);
        args[0] = (long)options.Value.DedupeRetention.TotalMilliseconds;
        args[1] = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < events.Count; i++)
        {
            keyList[i + 1] = keys.ScanEvent(events[i].EventId);
            args[2 + i] = events[i].EventId;
            args[2 + events.Count + i] = events[i].ToByteArray();
        }

        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(AddScript, keyList, args))!;
        return result.Select(r => (long)r == 1).ToArray();
    }

    /// <summary>Dedupe keys expire by themselves.</summary>
    public Task<int> SweepAsync(CancellationToken cancellationToken) => Task.FromResult(0);
}

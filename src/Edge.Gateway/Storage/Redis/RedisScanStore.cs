using Edge.Gateway.Forwarding;
using Edge.Gateway.Scans;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Scan intake in Redis: one script per batch sets each event's dedupe key to its owner device (NX, expiring after
/// the dedupe window) and, only when it was new, appends the event to the scan outbox stream; a key already set says
/// whose the id is. Atomic, so an event is never remembered without being queued, and two devices racing for one id
/// on two replicas get one owner.
/// </summary>
internal sealed class RedisScanStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ForwardingOptions> options, TimeProvider timeProvider) : IScanStore
{
    // KEYS[1]: outbox stream; KEYS[2..n+1]: dedupe keys. ARGV[1]: retention ms; ARGV[2]: now ms; ARGV[3]: device id;
    // ARGV[3+i]: event id, ARGV[3+n+i]: payload. Per event: 1 added, 0 duplicate, 2 another device's id. A key holding
    // '1' was set before owners were kept (owner unknown): answered duplicate, as then, until it expires.
    private const string AddScript = RedisOutbox.AppendFunction + """
        local n = #KEYS - 1
        local out = {}
        for i = 1, n do
          if redis.call('SET', KEYS[i + 1], ARGV[3], 'NX', 'PX', ARGV[1]) then
            outbox_append(KEYS[1], ARGV[3 + i], ARGV[3 + n + i], ARGV[2])
            out[i] = 1
          else
            local owner = redis.call('GET', KEYS[i + 1])
            if owner == ARGV[3] or owner == '1' then out[i] = 0 else out[i] = 2 end
          end
        end
        return out
        """;

    public async Task<ScanAddOutcome[]> AddAsync(string deviceId, IReadOnlyList<ScanRecord> events, CancellationToken cancellationToken)
    {
        var keyList = new RedisKey[events.Count + 1];
        var args = new RedisValue[3 + (2 * events.Count)];
        keyList[0] = keys.Outbox(OutboxLane.Scans);
        args[0] = (long)options.Value.DedupeRetention.TotalMilliseconds;
        args[1] = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        args[2] = deviceId;
        for (var i = 0; i < events.Count; i++)
        {
            keyList[i + 1] = keys.ScanEvent(events[i].EventId);
            args[3 + i] = events[i].EventId;
            args[3 + events.Count + i] = ScanRecordCodec.Encode(events[i]);
        }

        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(AddScript, keyList, args))!;
        return result.Select(r => (long)r switch
        {
            1 => ScanAddOutcome.Added,
            0 => ScanAddOutcome.Duplicate,
            _ => ScanAddOutcome.OtherDevice,
        }).ToArray();
    }

    /// <summary>Dedupe keys expire by themselves.</summary>
    public Task<int> SweepAsync(CancellationToken cancellationToken) => Task.FromResult(0);
}

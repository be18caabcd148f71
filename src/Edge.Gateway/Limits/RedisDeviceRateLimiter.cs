using System.Globalization;
using Edge.Gateway.Storage.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Limits;

/// <summary>
/// Redis mode: one token bucket per device and rate in Redis, taken in one script on Redis's clock, so a device gets
/// the same budget however many replicas it reaches.
/// </summary>
internal sealed class RedisDeviceRateLimiter(IConnectionMultiplexer redis, RedisKeys keys, IOptions<DeviceLimitOptions> options) : IDeviceRateLimiter
{
    // KEYS: bucket. ARGV: tokens per ms, burst, permits. Returns {1} when taken, else {0, ms until enough}.
    private const string TakeScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local want = tonumber(ARGV[3])
        local h = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = burst
        if h[1] then
          tokens = math.min(burst, tonumber(h[1]) + (now - tonumber(h[2])) * rate)
        end
        local ttl = math.ceil(burst / rate) + 1000
        if tokens >= want then
          redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - want), 'at', now)
          redis.call('PEXPIRE', KEYS[1], ttl)
          return {1}
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
        redis.call('PEXPIRE', KEYS[1], ttl)
        return {0, math.ceil((want - tokens) / rate)}
        """;

    private readonly DeviceLimitOptions _options = options.Value;

    public async ValueTask<TimeSpan?> TryTakeAsync(DeviceRate rate, string deviceId, int permits, CancellationToken cancellationToken)
    {
        var bucket = RateBucket.For(rate, _options);
        if (permits > bucket.Burst)
        {
            return bucket.Refill(permits);
        }

        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(TakeScript,
            [keys.DeviceRate(deviceId, rate.ToString())],
            [(bucket.PerSecond / 1000).ToString("R", CultureInfo.InvariantCulture), bucket.Burst, permits]))!;
        return (long)result[0] == 1 ? null : TimeSpan.FromMilliseconds(Math.Max(100, (long)result[1]));
    }
}

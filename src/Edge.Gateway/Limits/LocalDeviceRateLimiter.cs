using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Limits;

/// <summary>
/// Embedded mode: token buckets in this process (System.Threading.RateLimiting, partitioned by device; idle buckets
/// are dropped by the partitioned limiter).
/// </summary>
internal sealed class LocalDeviceRateLimiter : IDeviceRateLimiter, IDisposable
{
    private readonly PartitionedRateLimiter<(DeviceRate Rate, string DeviceId)> _limiter;
    private readonly DeviceLimitOptions _options;

    public LocalDeviceRateLimiter(IOptions<DeviceLimitOptions> options)
    {
        _options = options.Value;
        _limiter = PartitionedRateLimiter.Create<(DeviceRate Rate, string DeviceId), (DeviceRate, string)>(
            key => RateLimitPartition.GetTokenBucketLimiter(key, k => BucketOptions(RateBucket.For(k.Item1, _options))));
    }

    public ValueTask<TimeSpan?> TryTakeAsync(DeviceRate rate, string deviceId, int permits, CancellationToken cancellationToken)
    {
        var bucket = RateBucket.For(rate, _options);
        if (permits > bucket.Burst)
        {
            return ValueTask.FromResult<TimeSpan?>(bucket.Refill(permits));
        }

        using var lease = _limiter.AttemptAcquire((rate, deviceId), permits);
        if (lease.IsAcquired)
        {
            return ValueTask.FromResult<TimeSpan?>(null);
        }

        return ValueTask.FromResult<TimeSpan?>(lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero
            ? after
            : bucket.Refill(permits));
    }

    public void Dispose() => _limiter.Dispose();

    // Whole tokens every period, at least ten periods a second for fast rates, so the bucket refills smoothly.
    private static TokenBucketRateLimiterOptions BucketOptions(RateBucket bucket)
    {
        var perPeriod = Math.Max(1, (int)Math.Round(bucket.PerSecond / 10));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = bucket.Burst,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(perPeriod / bucket.PerSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}

namespace Edge.Gateway.Limits;

/// <summary>A per-device rate, each with its own token bucket.</summary>
internal enum DeviceRate
{
    /// <summary>Upload streams started (new or resumed).</summary>
    UploadStarts,

    /// <summary>Scan events received.</summary>
    ScanEvents,

    /// <summary>Proofs submitted.</summary>
    Proofs,
}

/// <summary>Token buckets per device and rate.</summary>
internal interface IDeviceRateLimiter
{
    /// <summary>
    /// Takes <paramref name="permits"/> from the device's bucket for <paramref name="rate"/>. Returns null when taken,
    /// else how long until that many are available (nothing is taken).
    /// </summary>
    ValueTask<TimeSpan?> TryTakeAsync(DeviceRate rate, string deviceId, int permits, CancellationToken cancellationToken);
}

/// <summary>The bucket of each rate, from <see cref="DeviceLimitOptions"/>.</summary>
internal readonly record struct RateBucket(double PerSecond, int Burst)
{
    public static RateBucket For(DeviceRate rate, DeviceLimitOptions options) => rate switch
    {
        DeviceRate.UploadStarts => new(options.UploadStartsPerSecond, options.UploadStartBurst),
        DeviceRate.ScanEvents => new(options.ScanEventsPerSecond, options.ScanEventBurst),
        _ => new(options.ProofsPerSecond, options.ProofBurst),
    };

    /// <summary>Time for <paramref name="missing"/> tokens to come back, at least 100 ms.</summary>
    public TimeSpan Refill(double missing) => TimeSpan.FromSeconds(Math.Max(0.1, missing / PerSecond));
}

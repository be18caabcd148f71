using System.Diagnostics.CodeAnalysis;
using Edge.Gateway.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Limits;

/// <summary>
/// The per-device budgets as the services use them: rates, stream slots and stream deadlines. Every refusal is
/// <c>RESOURCE_EXHAUSTED</c> with a <c>google.rpc.RetryInfo</c>, counted in <c>edge.limits.refused</c> (tag
/// <c>limit</c>) and logged sampled (<see cref="RefusalSampler"/>).
/// </summary>
internal sealed class DeviceLimits(
    IDeviceRateLimiter rates,
    DeviceStreamSlots slots,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<DeviceLimitOptions> options,
    ILogger<DeviceLimits> logger)
{
    private readonly RefusalSampler _sampler = new(timeProvider, options.Value.RefusalLogPeriod);

    public DeviceLimitOptions Options { get; } = options.Value;

    /// <summary>Takes <paramref name="permits"/> of the device's <paramref name="rate"/>, or refuses the call.</summary>
    public async ValueTask TakeAsync(DeviceRate rate, string deviceId, int permits, CancellationToken cancellationToken)
    {
        if (await rates.TryTakeAsync(rate, deviceId, permits, cancellationToken) is { } retryAfter)
        {
            var bucket = RateBucket.For(rate, Options);
            Refuse(deviceId, RateName(rate),
                $"Too many {Noun(rate)} from this device: at most {bucket.PerSecond:0.###} a second (bursts of {bucket.Burst}); retry in {retryAfter.TotalSeconds:0.#} s.",
                retryAfter);
        }
    }

    /// <summary>A slot for one long-lived stream, or refuses the call when the device holds <paramref name="max"/> already.</summary>
    public IDisposable OpenStream(string method, string deviceId, string key, int max)
    {
        var slot = slots.TryOpen(method, deviceId, key, max);
        if (slot is null)
        {
            Refuse(deviceId, method, $"This device already has {max} {method} stream(s) open{(key.Length > 0 ? " for this route" : string.Empty)}; close one first.",
                TimeSpan.FromSeconds(5));
        }

        return slot;
    }

    /// <summary>The request stream with the first-message and idle deadlines.</summary>
    public DeadlineStreamReader<T> WithDeadlines<T>(IAsyncStreamReader<T> reader, string deviceId, string method)
        => new(reader, Options, timeProvider, what => Record(deviceId, method + "_deadline", "no " + what + " in time"));

    /// <summary>Ends the call <c>RESOURCE_EXHAUSTED</c> with <paramref name="retryAfter"/> as its RetryInfo.</summary>
    [DoesNotReturn]
    public void Refuse(string deviceId, string limit, string message, TimeSpan retryAfter)
    {
        Record(deviceId, limit, message);
        EdgeErrors.ResourceExhausted(message, retryAfter);
    }

    /// <summary>True when a line about <paramref name="kind"/> for the device is due (<see cref="RefusalSampler"/>).</summary>
    public bool ShouldLog(string deviceId, string kind, out long suppressed) => _sampler.ShouldLog(deviceId, kind, out suppressed);

    /// <summary>Counts a refusal and logs it, sampled.</summary>
    public void Record(string deviceId, string limit, string detail)
    {
        metrics.LimitRefused(limit);
        if (_sampler.ShouldLog(deviceId, limit, out var suppressed))
        {
            LimitsLog.Refused(logger, ClientText.Bound(deviceId), limit, detail, suppressed);
        }
    }

    private static string RateName(DeviceRate rate) => rate switch
    {
        DeviceRate.UploadStarts => "upload_starts",
        DeviceRate.ScanEvents => "scan_events",
        _ => "proofs",
    };

    private static string Noun(DeviceRate rate) => rate switch
    {
        DeviceRate.UploadStarts => "upload starts",
        DeviceRate.ScanEvents => "scan events",
        _ => "proofs",
    };
}

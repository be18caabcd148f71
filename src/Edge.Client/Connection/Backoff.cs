using Google.Rpc;
using Grpc.Core;

namespace Edge.Client.Connection;

/// <summary>
/// Exponential backoff with full jitter (a random delay between zero and the doubling cap), so a depot's worth of
/// handhelds regaining signal at once do not retry in step. A server's <c>google.rpc.RetryInfo</c> delay is honoured
/// as the least wait, spread over up to twice it.
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int _failures;

    public TimeSpan Next(Exception? error = null)
    {
        var cap = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 30)));
        _failures++;
        var jittered = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap);
        if (error is RpcException rpc && RetryHint(rpc) is { } hint)
        {
            // Spread the retries after the hint over one more hint: a gateway that is shutting down tells every device
            // the same delay, and a restart shorter than it would otherwise see the whole fleet back within a moment.
            return hint + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * hint.TotalMilliseconds);
        }

        return jittered;
    }

    public void Reset() => _failures = 0;

    /// <summary>The delay the gateway asked for in a <c>google.rpc.RetryInfo</c> detail, if any.</summary>
    public static TimeSpan? RetryHint(RpcException error)
    {
        try
        {
            return error.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay?.ToTimeSpan();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return null;
        }
    }
}

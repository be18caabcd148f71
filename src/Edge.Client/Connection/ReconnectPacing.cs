using Grpc.Core;

namespace Edge.Client.Connection;

/// <summary>
/// How soon the client tries again after a failure. A link that broke while it was carrying bytes has most likely
/// lost its signal for a moment (a cut), and comes back within a second or two: every moment waited past that is lost.
/// So for <see cref="QuickPeriod"/> after such a cut, retries come every <see cref="QuickInterval"/> (plus a little
/// jitter), and new connections are attempted at that pace even while earlier attempts are unanswered
/// (<see cref="Dialer"/>). Every other failure, and a cut that lasts past the quick period, waits an exponential backoff
/// with full jitter, so a fleet whose gateway restarted spreads its reconnections instead of arriving at once (a
/// restart outlasts the quick period). A delay the gateway asked for (<c>google.rpc.RetryInfo</c>) is always honoured.
/// One per connection: it describes the link, not one call.
/// </summary>
internal sealed class ReconnectPacing(TimeProvider time)
{
    /// <summary>Pause between retries right after a cut; a connection attempt goes out at least this often.</summary>
    public static readonly TimeSpan QuickInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long after a cut the quick pace lasts: long enough for a moment without signal (a lift, a tunnel's mouth),
    /// shorter than a gateway takes to restart.
    /// </summary>
    public static readonly TimeSpan QuickPeriod = TimeSpan.FromSeconds(3);

    private long _quickUntil = long.MinValue;

    /// <summary>True within <see cref="QuickPeriod"/> of the last cut.</summary>
    public bool Quick => time.GetTimestamp() < Volatile.Read(ref _quickUntil);

    /// <summary>A connection that was carrying bytes broke without a word from the gateway: start the quick pace.</summary>
    public void OnCut() => Volatile.Write(ref _quickUntil, time.GetTimestamp() + (long)(QuickPeriod.TotalSeconds * time.TimestampFrequency));

    /// <summary>The pause before the next attempt after <paramref name="error"/>.</summary>
    public TimeSpan Next(Backoff backoff, Exception error)
    {
        if (Quick && !(error is RpcException rpc && Backoff.RetryHint(rpc) is not null))
        {
            return QuickInterval + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * QuickInterval.TotalMilliseconds / 2);
        }

        return backoff.Next(error);
    }
}

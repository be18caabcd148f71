using System.Collections.Concurrent;
using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Limits;

internal static partial class LimitsLog
{
    [LoggerMessage(EventIds.LimitRefused, LogLevel.Information, "Device {DeviceId} refused ({Limit}): {Detail}; {Suppressed} more refusals of this kind since the last line.")]
    public static partial void Refused(ILogger logger, string deviceId, string limit, string detail, long suppressed);

    [LoggerMessage(EventIds.ConnectionLimitLowered, LogLevel.Warning, "Connection limit lowered from {Configured} to {Effective}: the process may open only {Descriptors} files (nofile), less Edge:Connections:ReservedDescriptors and Edge:Uploads:MaxWritingUploads; raise nofile for more connections.")]
    public static partial void ConnectionLimitLowered(ILogger logger, int configured, int effective, long descriptors);

    [LoggerMessage(EventIds.StreamLeasesNotRenewed, LogLevel.Warning, "{Failed} of {Held} stream leases could not be renewed in Redis ({Reason}); a lease not renewed within Edge:Limits:StreamLease runs out and its slot is counted free.")]
    public static partial void StreamLeasesNotRenewed(ILogger logger, int failed, int held, string reason);
}

/// <summary>
/// Logs repeated refusals by sampling: the first of a kind for a device, then at most one line per period carrying the
/// number left out, so a device that is refused a thousand times a second costs a line per period, not a line a time.
/// </summary>
internal sealed class RefusalSampler(TimeProvider timeProvider, TimeSpan period)
{
    private const int MaxTracked = 10_000;
    private readonly ConcurrentDictionary<(string DeviceId, string Limit), Entry> _entries = new();

    /// <summary>True when this refusal should be logged; <paramref name="suppressed"/> is how many were not since the last line.</summary>
    public bool ShouldLog(string deviceId, string limit, out long suppressed)
    {
        var now = timeProvider.GetTimestamp();
        if (_entries.Count > MaxTracked)
        {
            _entries.Clear();
        }

        var entry = _entries.GetOrAdd((deviceId, limit), static _ => new Entry());
        lock (entry)
        {
            if (entry.LoggedAt != 0 && timeProvider.GetElapsedTime(entry.LoggedAt, now) < period)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LoggedAt = now;
            return true;
        }
    }

    private sealed class Entry
    {
        public long LoggedAt;
        public long Suppressed;
    }
}

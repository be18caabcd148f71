using System.Collections.Concurrent;
using System.Diagnostics;

namespace Edge.Fleet.Links;

/// <summary>What passed through links, summed over every device that shares the instance.</summary>
internal sealed class LinkCounters
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<long, int> _attemptsPerSecond = new();
    private readonly ConcurrentDictionary<long, int> _connectionsPerSecond = new();
    private long _bytesUp;
    private long _bytesDown;
    private long _connections;
    private long _attempts;
    private long _cuts;
    private long _stalls;

    public long BytesUp => Interlocked.Read(ref _bytesUp);

    public long BytesDown => Interlocked.Read(ref _bytesDown);

    /// <summary>Connections that reached the gateway.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections devices opened to their link, whether the gateway took them or not.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    public long Cuts => Interlocked.Read(ref _cuts);

    public long Stalls => Interlocked.Read(ref _stalls);

    /// <summary>Time since the counters were made: the clock of the per-second figures.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public void Forwarded(int bytes, bool up) => Interlocked.Add(ref up ? ref _bytesUp : ref _bytesDown, bytes);

    public void Attempted()
    {
        Interlocked.Increment(ref _attempts);
        _attemptsPerSecond.AddOrUpdate((long)_clock.Elapsed.TotalSeconds, 1, (_, n) => n + 1);
    }

    public void Connected()
    {
        Interlocked.Increment(ref _connections);
        _connectionsPerSecond.AddOrUpdate((long)_clock.Elapsed.TotalSeconds, 1, (_, n) => n + 1);
    }

    public void Cut() => Interlocked.Increment(ref _cuts);

    public void Stalled() => Interlocked.Increment(ref _stalls);

    /// <summary>The busiest second for device connection attempts and for gateway connections within [from, to).</summary>
    public (int Attempts, long AttemptsAt, int Connections, long ConnectionsAt) PeakPerSecond(TimeSpan from, TimeSpan to)
    {
        static (int, long) Peak(ConcurrentDictionary<long, int> perSecond, TimeSpan from, TimeSpan to)
        {
            var inRange = perSecond.Where(p => p.Key >= (long)from.TotalSeconds && p.Key < (long)to.TotalSeconds).ToList();
            if (inRange.Count == 0)
            {
                return (0, -1);
            }

            var peak = inRange.MaxBy(p => p.Value);
            return (peak.Value, peak.Key);
        }

        var (attempts, attemptsAt) = Peak(_attemptsPerSecond, from, to);
        var (connections, connectionsAt) = Peak(_connectionsPerSecond, from, to);
        return (attempts, attemptsAt, connections, connectionsAt);
    }

    /// <summary>Gateway connections per second for each second within [from, to).</summary>
    public IReadOnlyList<int> ConnectionsPerSecond(TimeSpan from, TimeSpan to)
        => [.. Enumerable.Range((int)from.TotalSeconds, Math.Max(0, (int)to.TotalSeconds - (int)from.TotalSeconds))
            .Select(second => _connectionsPerSecond.GetValueOrDefault(second))];

    /// <summary>Device connection attempts per second for each second within [from, to).</summary>
    public IReadOnlyList<int> AttemptsPerSecond(TimeSpan from, TimeSpan to)
        => [.. Enumerable.Range((int)from.TotalSeconds, Math.Max(0, (int)to.TotalSeconds - (int)from.TotalSeconds))
            .Select(second => _attemptsPerSecond.GetValueOrDefault(second))];
}

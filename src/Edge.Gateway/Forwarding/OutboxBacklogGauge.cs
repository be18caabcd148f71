using Edge.Gateway.Diagnostics;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// Outbox depth and age for <c>edge.outbox.depth</c> / <c>edge.outbox.age</c>, measured when the metrics are read (a
/// scrape, dotnet-counters) and never older than <see cref="ForwardingOptions.BacklogMeasureInterval"/>: a scrape
/// within that interval of the last one reuses its measurement, so many scrapers cost the store one query per interval.
/// Nothing is measured while nobody reads.
/// </summary>
internal sealed class OutboxBacklogGauge(IOutbox outbox, EdgeMetrics metrics, TimeProvider timeProvider, IOptions<ForwardingOptions> options, ILogger<OutboxBacklogGauge> logger)
{
    private static readonly TimeSpan MeasureTimeout = TimeSpan.FromSeconds(2);
    private readonly Lock _gate = new();
    private readonly (long Depth, double AgeSeconds)[] _latest = new (long, double)[2];
    private DateTimeOffset _measuredAt = DateTimeOffset.MinValue;

    /// <summary>Hands the gauges their source.</summary>
    public void Start() => metrics.ObserveOutbox(Read);

    /// <summary>The lane's backlog, measured now unless the last measurement is recent enough.</summary>
    public (long Depth, double AgeSeconds) Read(OutboxLane lane)
    {
        lock (_gate)
        {
            var now = timeProvider.GetUtcNow();
            if (now - _measuredAt >= options.Value.BacklogMeasureInterval)
            {
                try
                {
                    foreach (var each in new[] { OutboxLane.Scans, OutboxLane.Proofs })
                    {
                        // Called by the metrics reader's thread, which waits for its gauges anyway.
                        var backlog = outbox.GetBacklogAsync(each, CancellationToken.None).WaitAsync(MeasureTimeout).GetAwaiter().GetResult();
                        var age = backlog.OldestEnqueuedAt is { } oldest ? Math.Max(0, (now - oldest).TotalSeconds) : 0;
                        _latest[(int)each] = (backlog.Depth, age);
                    }

                    _measuredAt = now;
                }
                catch (Exception e)
                {
                    // The store is unreachable: the last figures stay, and the next read tries again.
                    ForwardingLog.BacklogMeasureFailed(logger, e);
                }
            }

            return _latest[(int)lane];
        }
    }
}

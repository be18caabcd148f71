namespace Edge.Client.Uploads;

/// <summary>
/// How many bytes may be sent ahead of the gateway's acknowledgements: what the link delivers in two round trips,
/// rounded up to whole chunks, plus two chunks, within the configured maximum. One round trip for the acknowledgements
/// to come back, one more to keep the link busy while a lost segment holds them back (TCP repairs a loss in about a
/// round trip, and on a lossy link that is most of the time); one chunk because the gateway acknowledges whole chunks
/// (a chunk's bytes stay unacknowledged until its last byte is in), one more for the gateway's sync. Fewer idle the
/// link; more only queue bytes below the SDK (socket buffers, the radio's queue), where a cut can lose them. Shared by
/// all uploads of a client: it describes the link.
/// </summary>
internal sealed class WindowSizer(int max, TimeProvider time)
{
    /// <summary>Acknowledgements at least this far apart make one delivery-rate sample: shorter spans are bursts.</summary>
    private static readonly TimeSpan RateSpan = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a delivery-rate sample counts. The highest recent sample is the link's rate: a loss that holds back
    /// acknowledgements for a round trip slows the samples, not the link.
    /// </summary>
    private static readonly TimeSpan RateMemory = TimeSpan.FromSeconds(10);

    /// <summary>At most one delivery-rate sample this often, so a fast link keeps a short list.</summary>
    private static readonly TimeSpan RateSampleEvery = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly Queue<(long At, long Acknowledged)> _acks = new();
    private readonly Queue<(long At, double BytesPerSecond)> _rates = new();
    private long _acknowledged;
    private long _lastRateAt;
    private TimeSpan _minRoundTrip = TimeSpan.MaxValue;

    /// <summary>
    /// A request and its answer took <paramref name="roundTrip"/> (an upload's start and the started answer). The
    /// shortest seen is the link's round trip; longer ones waited in a queue or for a connection.
    /// </summary>
    public void OnRoundTrip(TimeSpan roundTrip)
    {
        lock (_gate)
        {
            if (roundTrip < _minRoundTrip)
            {
                _minRoundTrip = roundTrip;
            }
        }
    }

    /// <summary>
    /// An acknowledgement of <paramref name="bytes"/> new bytes; <paramref name="latency"/> is how long the newest of
    /// them took from being sent (a round trip at least).
    /// </summary>
    public void OnAcknowledged(long bytes, TimeSpan? latency)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (latency is { } sample && sample < _minRoundTrip)
            {
                _minRoundTrip = sample;
            }

            _acknowledged += bytes;
            _acks.Enqueue((now, _acknowledged));
            while (_acks.Count > 2 && time.GetElapsedTime(_acks.ElementAt(1).At, now) >= RateSpan)
            {
                _acks.Dequeue();
            }

            var (oldestAt, oldest) = _acks.Peek();
            var span = time.GetElapsedTime(oldestAt, now);
            if (span >= RateSpan && (_rates.Count == 0 || time.GetElapsedTime(_lastRateAt, now) >= RateSampleEvery))
            {
                _lastRateAt = now;
                _rates.Enqueue((now, (_acknowledged - oldest) / span.TotalSeconds));
            }

            while (_rates.TryPeek(out var rate) && time.GetElapsedTime(rate.At, now) > RateMemory)
            {
                _rates.Dequeue();
            }
        }
    }

    /// <summary>The link's delivery rate in bytes per second (the highest recent sample), or null before it is measured.</summary>
    public double? DeliveryRate
    {
        get
        {
            lock (_gate)
            {
                return _rates.Count == 0 ? null : _rates.Max(r => r.BytesPerSecond);
            }
        }
    }

    /// <summary>The window for chunks of <paramref name="chunkSize"/>: never under two chunks, never over the maximum.</summary>
    public long Window(int chunkSize)
    {
        lock (_gate)
        {
            var floor = 2L * chunkSize;
            if (_rates.Count == 0 || _minRoundTrip == TimeSpan.MaxValue)
            {
                // Nothing measured yet: the maximum, as a new connection's own congestion window limits it anyway.
                return Math.Max(max, floor);
            }

            // In whole chunks: a window that ends inside a chunk admits one chunk less, and a link that carries less
            // than a chunk per round trip still needs a whole one on the way.
            var rate = _rates.Max(r => r.BytesPerSecond);
            var inFlight = (long)Math.Ceiling(rate * 2 * _minRoundTrip.TotalSeconds / chunkSize) * chunkSize;
            return Math.Max(floor, Math.Min(max, inFlight + floor));
        }
    }

    /// <summary>A new network: what was measured on the old link no longer holds.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _acks.Clear();
            _rates.Clear();
            _acknowledged = 0;
            _minRoundTrip = TimeSpan.MaxValue;
        }
    }
}

namespace Edge.Client.Uploads;

/// <summary>
/// The chunk size for the link as it is now. A chunk cut off mid-way is sent again whole, so a poor link wants small
/// chunks; a good one wants large chunks for less per-message overhead. Halves on every failure or slow
/// acknowledgement, doubles when acknowledgements come back fast. Shared by all uploads of a client: it describes the
/// link, not the photo.
/// </summary>
internal sealed class ChunkSizer
{
    /// <summary>An acknowledgement faster than this means the link keeps up with the current size.</summary>
    public static readonly TimeSpan FastAck = TimeSpan.FromMilliseconds(500);

    /// <summary>An acknowledgement slower than this means chunks are too big for the link.</summary>
    public static readonly TimeSpan SlowAck = TimeSpan.FromSeconds(4);

    private readonly int _min;
    private readonly int _initial;
    private readonly int _max;
    private int _size;

    public ChunkSizer(int min, int initial, int max)
    {
        _min = min;
        _initial = initial;
        _max = max;
        _size = initial;
    }

    public int Current => Volatile.Read(ref _size);

    public void OnAcknowledged(TimeSpan latency)
    {
        if (latency < FastAck)
        {
            Update(size => Math.Min(_max, size * 2));
        }
        else if (latency > SlowAck)
        {
            OnFailure();
        }
    }

    public void OnFailure() => Update(size => Math.Max(_min, size / 2));

    /// <summary>A new network: what was learnt about the old link no longer holds.</summary>
    public void Reset() => Volatile.Write(ref _size, _initial);

    private void Update(Func<int, int> change)
    {
        int current, next;
        do
        {
            current = Volatile.Read(ref _size);
            next = change(current);
        }
        while (Interlocked.CompareExchange(ref _size, next, current) != current);
    }
}

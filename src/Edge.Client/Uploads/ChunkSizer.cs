namespace Edge.Client.Uploads;

/// <summary>
/// The chunk size for the link as it is now: what the link delivers in <see cref="Airtime"/>, in whole
/// <see cref="Granule"/>s, within the configured bounds. The gateway keeps whole chunks only, so a cut costs the chunk it
/// caught mid-way: at most that much link time, whatever the link's speed (8 KiB on a 1 Mbit/s link, half of it on
/// average), while a fast link still gets large chunks and little per-message overhead. Until the rate is measured, the initial size. Failures
/// do not change it: a refused connection says nothing about the link's rate. Shared by all uploads of a client: it
/// describes the link, not the photo.
/// </summary>
internal sealed class ChunkSizer
{
    /// <summary>
    /// Most link time one chunk takes. Traced over a 1 Mbit/s link with kernel cuts, the part of the chunk in flight
    /// that had reached the gateway's socket when the cut came, and was lost with the partial message, was 8-20 KB per
    /// cut with 150 ms (16-20 KiB chunks); 75 ms halves that. The per-chunk overhead (about 30 bytes of framing, one
    /// CRC32C, one acknowledgement when the link is slower than the gateway's sync) stays under 0.5 %.
    /// </summary>
    public static readonly TimeSpan Airtime = TimeSpan.FromMilliseconds(75);

    /// <summary>Chunk sizes are whole multiples of this (a page), unless the bounds say otherwise.</summary>
    public const int Granule = 4096;

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

    /// <summary>Follows the link's delivery rate, in bytes per second (null: not measured yet).</summary>
    public void Follow(double? bytesPerSecond)
    {
        if (bytesPerSecond is not { } rate)
        {
            return;
        }

        var size = (long)(rate * Airtime.TotalSeconds) / Granule * Granule;
        Volatile.Write(ref _size, (int)Math.Clamp(size, _min, _max));
    }

    /// <summary>A new network: what was learnt about the old link no longer holds.</summary>
    public void Reset() => Volatile.Write(ref _size, _initial);
}

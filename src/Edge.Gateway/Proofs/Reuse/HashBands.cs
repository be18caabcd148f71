using System.Numerics;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>
/// Multi-index hashing of 64-bit hashes: the hash is split into <see cref="Count"/> bands of (nearly) equal width, and
/// a lookup reads, in each band, the prints whose band value is within <see cref="Radius"/> bits of the hash's. Two
/// hashes within <see cref="MaxDistance"/> bits differ by at most <c>MaxDistance / Count</c> bits in at least one band
/// (pigeonhole), so with <c>Radius = MaxDistance / Count</c> no print within the distance is missed. With
/// <c>Count = MaxDistance + 1</c> the radius is 0: a candidate shares one band exactly. Fewer, wider bands with a
/// radius of 1 read one exact value and each one-bit neighbour per band: far fewer candidates at millions of prints
/// (docs/photo-reuse.md has the measurements).
/// </summary>
internal sealed class HashBands
{
    private readonly int[] _shifts;
    private readonly int[] _widths;

    /// <param name="maxDistance">Largest Hamming distance that is still a match.</param>
    /// <param name="count">Number of bands, 1-16.</param>
    public HashBands(int maxDistance, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 16);
        MaxDistance = maxDistance;
        Count = count;
        Radius = maxDistance / count;
        _shifts = new int[count];
        _widths = new int[count];
        var shift = 64;
        for (var band = 0; band < count; band++)
        {
            // The first 64 % count bands take one bit more.
            _widths[band] = (64 / count) + (band < 64 % count ? 1 : 0);
            shift -= _widths[band];
            _shifts[band] = shift;
        }

        ProbesPerLookup = Enumerable.Range(0, count).Sum(band => Neighbours(_widths[band], Radius));
    }

    /// <summary>Largest Hamming distance that is still a match.</summary>
    public int MaxDistance { get; }

    /// <summary>Number of bands.</summary>
    public int Count { get; }

    /// <summary>How many bits a band value read on a lookup may differ from the hash's.</summary>
    public int Radius { get; }

    /// <summary>Band values read on one lookup, over all bands.</summary>
    public int ProbesPerLookup { get; }

    /// <summary>Width in bits of the narrowest band.</summary>
    public int NarrowestBits => 64 / Count;

    /// <summary>The value of band <paramref name="band"/> of <paramref name="hash"/>.</summary>
    public uint Value(ulong hash, int band) => (uint)((hash >> _shifts[band]) & ((1UL << _widths[band]) - 1));

    /// <summary>The mask of bit <paramref name="index"/> (from the least significant) of band <paramref name="band"/>.</summary>
    public ulong Bit(int band, int index) => 1UL << (_shifts[band] + (index % _widths[band]));

    /// <summary>Band number and value in one 64-bit key (band in the high half), unique across bands.</summary>
    public long Key(ulong hash, int band) => Key(band, Value(hash, band));

    /// <summary>The keys a print of <paramref name="hash"/> is stored under: one per band.</summary>
    public IEnumerable<long> Keys(ulong hash) => Enumerable.Range(0, Count).Select(band => Key(hash, band));

    /// <summary>The keys a lookup of <paramref name="hash"/> reads: per band, its value and every value within <see cref="Radius"/> bits.</summary>
    public IEnumerable<long> Probes(ulong hash)
    {
        for (var band = 0; band < Count; band++)
        {
            var value = Value(hash, band);
            foreach (var flips in Masks(_widths[band], Radius))
            {
                yield return Key(band, value ^ flips);
            }
        }
    }

    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    /// <summary>
    /// True when a hash says too little about its photo to compare: almost every bit equal, as a black, blank or
    /// burnt-out frame gives. Such hashes would match each other across unrelated photos.
    /// </summary>
    public static bool IsFeatureless(ulong hash) => BitOperations.PopCount(hash) is < 8 or > 56;

    /// <summary>The band of a key and its value.</summary>
    public static (int Band, uint Value) Split(long key) => ((int)(key >> 32), (uint)key);

    private static long Key(int band, uint value) => ((long)band << 32) | value;

    /// <summary>Every mask of <paramref name="width"/> bits with at most <paramref name="radius"/> bits set, 0 first.</summary>
    private static IEnumerable<uint> Masks(int width, int radius)
    {
        yield return 0;
        if (radius >= 1)
        {
            for (var i = 0; i < width; i++)
            {
                yield return 1u << i;
                if (radius >= 2)
                {
                    for (var j = i + 1; j < width; j++)
                    {
                        yield return (1u << i) | (1u << j);
                    }
                }
            }
        }
    }

    private static int Neighbours(int width, int radius)
        => 1 + (radius >= 1 ? width : 0) + (radius >= 2 ? width * (width - 1) / 2 : 0);
}

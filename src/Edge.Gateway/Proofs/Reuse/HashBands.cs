using System.Numerics;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>
/// The split of a 64-bit hash into <c>maxDistance + 1</c> bands of (nearly) equal width for multi-index hashing. Two
/// hashes within <c>maxDistance</c> bits differ in at most that many bands, so with one band more they agree exactly
/// in at least one (pigeonhole): looking up each band's value finds every print within the distance.
/// </summary>
internal sealed class HashBands
{
    private readonly int[] _shifts;
    private readonly ulong[] _masks;

    public HashBands(int maxDistance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDistance, 31);
        MaxDistance = maxDistance;
        Count = maxDistance + 1;
        _shifts = new int[Count];
        _masks = new ulong[Count];
        var shift = 64;
        for (var band = 0; band < Count; band++)
        {
            // The first 64 % Count bands take one bit more.
            var width = (64 / Count) + (band < 64 % Count ? 1 : 0);
            shift -= width;
            _shifts[band] = shift;
            _masks[band] = (1UL << width) - 1;
        }
    }

    /// <summary>Largest Hamming distance that is still a match.</summary>
    public int MaxDistance { get; }

    /// <summary>Number of bands.</summary>
    public int Count { get; }

    /// <summary>Width in bits of the narrowest band (the one that decides how many prints share a value).</summary>
    public int NarrowestBits => 64 / Count;

    /// <summary>The value of band <paramref name="band"/> of <paramref name="hash"/>.</summary>
    public uint Value(ulong hash, int band) => (uint)((hash >> _shifts[band]) & _masks[band]);

    /// <summary>Band number and value in one 64-bit key (band in the high half), unique across bands.</summary>
    public long Key(ulong hash, int band) => ((long)band << 32) | Value(hash, band);

    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    /// <summary>
    /// True when a hash says too little about its photo to compare: almost every bit equal, as a black, blank or
    /// burnt-out frame gives. Such hashes would match each other across unrelated photos.
    /// </summary>
    public static bool IsFeatureless(ulong hash) => BitOperations.PopCount(hash) is < 8 or > 56;
}

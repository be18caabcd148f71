using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>How proofs' photos are compared with the photos of earlier proofs. Bound from <c>Edge:PhotoReuse</c>.</summary>
public sealed class PhotoReuseOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:PhotoReuse";

    /// <summary>Whether proofs are checked for reused photos at all. Default: true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How far back a photo is compared: photos of proofs received longer ago than this are forgotten (removed from
    /// the index). Default: 30 days.
    /// </summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The largest Hamming distance (bits of the 64-bit perceptual hash) at which two photos count as the same photo.
    /// Default: 6, chosen from measurements (docs/photo-reuse.md): it finds 83-89 % of re-encoded and resized copies,
    /// 4 bits short of the nearest pair of different scenes measured.
    /// </summary>
    [Range(0, 12)]
    public int MaxDistance { get; set; } = 6;

    /// <summary>
    /// How many bands the index splits the hash into. A lookup reads, per band, the values within
    /// <c>MaxDistance / IndexBands</c> bits (at most 2) of the hash's, so no match is missed: <c>MaxDistance + 1</c>
    /// bands means exact band values only; fewer, wider bands read more values but far fewer prints at millions of
    /// photos. Changing it rebuilds the embedded index at start and starts the Redis index afresh. Default: 4 (16-bit
    /// bands, one-bit neighbours for distances 4-7), chosen from measurements (docs/photo-reuse.md).
    /// </summary>
    [Range(1, 16)]
    public int IndexBands { get; set; } = 4;

    /// <summary>
    /// At most this many prints are read per band on a lookup, the newest first (embedded: over all the band values
    /// read in the band; Redis: per band value): a bound on the work one proof can cause when many photos share band
    /// values. Default: 2000.
    /// </summary>
    [Range(16, 100_000)]
    public int MaxCandidatesPerBand { get; set; } = 2000;

    /// <summary>How often expired prints are removed from the embedded index (Redis expires them itself). Default: 1 hour.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);
}

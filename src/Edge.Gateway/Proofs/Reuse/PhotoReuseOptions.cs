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
    /// The index splits the hash into this many bands plus one, so a larger value means narrower bands and more
    /// candidates per lookup. Default: 6, chosen from measurements (docs/photo-reuse.md): it finds most re-encoded,
    /// resized and brightened copies with no false match seen between different scenes.
    /// </summary>
    [Range(0, 12)]
    public int MaxDistance { get; set; } = 6;

    /// <summary>
    /// At most this many prints are read per band value on a lookup, the newest first: a bound on the work one proof
    /// can cause when many photos share a band value. Default: 2000.
    /// </summary>
    [Range(16, 100_000)]
    public int MaxCandidatesPerBand { get; set; } = 2000;

    /// <summary>How often expired prints are removed from the embedded index (Redis expires them itself). Default: 1 hour.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);
}

namespace Edge.Gateway.Blobs;

/// <summary>
/// When stored photos are let go. Bound from <c>Edge:Blobs</c>. (The retention after the core has a photo is
/// <c>Edge:Forwarding:BlobRetention</c>.)
/// </summary>
public sealed class BlobOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Blobs";

    /// <summary>
    /// A photo that no proof has named is removed this long after its last upload (a device that took a photo and
    /// never closed the stop). Default: 7 days.
    /// </summary>
    public TimeSpan UnclaimedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A stored file that no record names (left by a crash between storing a file and recording it) is removed once it
    /// is older than this. Longer than any photo's processing takes. Default: 1 hour.
    /// </summary>
    public TimeSpan UnreferencedFileGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often released photos are removed. Default: 5 minutes.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the store is walked for files that no record names. Default: 1 hour.</summary>
    public TimeSpan UnreferencedFileSweepInterval { get; set; } = TimeSpan.FromHours(1);
}

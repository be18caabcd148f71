using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Uploads;

/// <summary>Limits and timings of the upload path. Bound from <c>Edge:Uploads</c>.</summary>
public sealed class UploadOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Uploads";

    /// <summary>Largest object accepted, in bytes. Default: 32 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxObjectBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Largest chunk accepted, in bytes. At least 64 KiB: clients may send chunks of that size before the gateway has
    /// told them its maximum (docs/protocol.md, resuming without waiting). Default: 1 MiB.
    /// </summary>
    [Range(64 * 1024, 4 * 1024 * 1024)]
    public int MaxChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes received since the last fsync after which the gateway syncs and acknowledges, even while chunks keep
    /// arriving. Default: 1 MiB.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long SyncBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// When no further chunk is waiting, how long the gateway waits for one before it syncs and acknowledges what it
    /// has. Long enough that a busy client's next chunk usually arrives first, short enough that a client waiting for an
    /// acknowledgement is not held up. Default: 20 ms.
    /// </summary>
    public TimeSpan SyncIdleDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Upload streams this replica writes at once, each with its staging file open: the descriptors they take are kept
    /// out of the connection limit (<c>Edge:Connections</c>), so uploads cannot run the process out of descriptors. One
    /// more is refused <c>RESOURCE_EXHAUSTED</c> (retry after 1 s). Default: 4,096.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxWritingUploads { get; set; } = 4096;

    /// <summary>Uploads one device may have in progress at once, across all replicas. Default: 4.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentUploadsPerDevice { get; set; } = 4;

    /// <summary>
    /// Unfinished uploads (started, not complete, not expired) one device may have at once, across all replicas, whether
    /// or not a stream is writing them; a new one past it is refused <c>RESOURCE_EXHAUSTED</c>. Default: 16.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxUnfinishedUploadsPerDevice { get; set; } = 16;

    /// <summary>
    /// Sum of the declared sizes of one device's unfinished uploads, in bytes, across all replicas; a new upload past it is
    /// refused <c>RESOURCE_EXHAUSTED</c>, so no device can reserve the staging space of others. Default: 512 MiB.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxStagingBytesPerDevice { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// An upload that has received no byte is removed this long after its last start (when its stream ends it is
    /// removed at once; this catches a replica that stopped). Default: 5 minutes.
    /// </summary>
    public TimeSpan EmptyUploadTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Sum of the declared sizes of all unfinished uploads, in bytes; a new upload past it is refused. Default: 8 GiB.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxStagingBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>
    /// How long a writer holds its device slot without making progress (a half-open connection) before the slot is
    /// free again. Default: 2 minutes.
    /// </summary>
    public TimeSpan WriterLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Unfinished uploads untouched for this long are removed, with their staging files. Default: 24 hours.</summary>
    public TimeSpan StagingTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the sweeper looks for expired uploads. Default: 5 minutes.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most digests one <c>FindMissingBlobs</c> call may name. Default: 1000.</summary>
    [Range(1, 100_000)]
    public int MaxDigestsPerQuery { get; set; } = 1000;
}

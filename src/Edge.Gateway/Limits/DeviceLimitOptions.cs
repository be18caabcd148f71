using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Limits;

/// <summary>
/// Per-device budgets of the shared resources that are not uploads' own (those are in
/// <see cref="Uploads.UploadOptions"/>): call rates, concurrent watch streams and stream deadlines. Rates are shared
/// by every replica in Redis mode. Bound from <c>Edge:Limits</c>.
/// </summary>
public sealed class DeviceLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Limits";

    /// <summary>Upload streams (new or resumed) a device may start per second, sustained. Default: 2.</summary>
    [Range(0.001, 1_000_000)]
    public double UploadStartsPerSecond { get; set; } = 2;

    /// <summary>Upload starts a device may make at once before <see cref="UploadStartsPerSecond"/> applies. Default: 30.</summary>
    [Range(1, 1_000_000)]
    public int UploadStartBurst { get; set; } = 30;

    /// <summary>Scan events a device may send per second, sustained (both <c>RecordScans</c> and <c>StreamScans</c>). Default: 50.</summary>
    [Range(0.001, 1_000_000)]
    public double ScanEventsPerSecond { get; set; } = 50;

    /// <summary>
    /// Scan events a device may send at once, e.g. a day's backlog after a dead zone, before
    /// <see cref="ScanEventsPerSecond"/> applies. At least the largest batch (500). Default: 5,000.
    /// </summary>
    [Range(500, 10_000_000)]
    public int ScanEventBurst { get; set; } = 5000;

    /// <summary>Proofs a device may submit per second, sustained. Default: 1.</summary>
    [Range(0.001, 1_000_000)]
    public double ProofsPerSecond { get; set; } = 1;

    /// <summary>Proofs a device may submit at once before <see cref="ProofsPerSecond"/> applies. Default: 200.</summary>
    [Range(1, 1_000_000)]
    public int ProofBurst { get; set; } = 200;

    /// <summary><c>WatchReceipts</c> streams one device may hold open at once (per replica). Default: 2.</summary>
    [Range(1, 1000)]
    public int MaxReceiptWatchesPerDevice { get; set; } = 2;

    /// <summary><c>WatchManifest</c> streams one device may hold open at once for one route (per replica). Default: 1.</summary>
    [Range(1, 1000)]
    public int MaxManifestWatchesPerRoute { get; set; } = 1;

    /// <summary>
    /// Receipts waiting to be sent on one <c>WatchReceipts</c> stream; a watcher that falls further behind is ended with
    /// <c>RESOURCE_EXHAUSTED</c> and watches again with <c>since</c>. Default: 256.
    /// </summary>
    [Range(1, 1_000_000)]
    public int WatcherQueueLength { get; set; } = 256;

    /// <summary>
    /// The first message of an <c>Upload</c> or <c>StreamScans</c> stream, and the first chunk after the upload's start
    /// answer, must arrive within this time, else the stream ends <c>DEADLINE_EXCEEDED</c>. Default: 10 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan FirstMessageTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest pause between two messages of an <c>Upload</c> or <c>StreamScans</c> stream before it ends
    /// <c>DEADLINE_EXCEEDED</c> (an upload keeps every acknowledged byte and resumes). Default: 60 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan MessageIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Refusals of one kind for one device are logged at most once per this period, with the number left out since the
    /// last line (every refusal is counted in <c>edge.limits.refused</c>). Default: 10 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RefusalLogPeriod { get; set; } = TimeSpan.FromSeconds(10);
}

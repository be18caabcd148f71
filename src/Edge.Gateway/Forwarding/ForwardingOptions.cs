using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Forwarding;

/// <summary>How the outbox is drained to the core. Bound from <c>Edge:Forwarding</c>.</summary>
public sealed class ForwardingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Forwarding";

    /// <summary>Concurrent forwarders draining the scan outbox, per replica. Default: 2.</summary>
    [Range(1, 64)]
    public int ScanWorkers { get; set; } = 2;

    /// <summary>Concurrent forwarders draining the proof outbox, per replica. Default: 4.</summary>
    [Range(1, 256)]
    public int ProofWorkers { get; set; } = 4;

    /// <summary>Scan events per <c>DeliverScans</c> call (the core takes at most 500). Default: 500.</summary>
    [Range(1, 500)]
    public int ScanBatchSize { get; set; } = 500;

    /// <summary>Proofs one forwarder takes from the outbox at once (delivered concurrently). Default: 8.</summary>
    [Range(1, 100)]
    public int ProofBatchSize { get; set; } = 8;

    /// <summary>
    /// An outbox entry taken by a forwarder that stopped renewing it (its replica died) is taken over by another
    /// forwarder after this long (Redis: XAUTOCLAIM min-idle time; embedded: the entry's lease). Default: 30 seconds.
    /// </summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle forwarder looks for entries another replica added. Default: 200 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Retries of one call to the core before its entries wait for the next round. Default: 2.</summary>
    [Range(0, 10)]
    public int RetryAttempts { get; set; } = 2;

    /// <summary>First retry delay; doubles with each failure, with jitter. Default: 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between two rounds for entries the core did not take. Default: 30 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a lane's circuit breaker stays open after the core failed too often (at least half of at least 4 calls
    /// within 10 seconds) before one trial call goes through; the trial's success closes it and sends everything held
    /// at once, so the core's return is noticed within about this long. Default: 500 ms.
    /// </summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Most scan entries one scan forwarder holds at once: while the core fails it keeps taking and parking entries up
    /// to this many, so they go at full rate when it returns. Default: 5000.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxHeldScans { get; set; } = 5000;

    /// <summary>
    /// Most proof entries one proof forwarder holds at once (parked while the core fails or a proof waits for a retry;
    /// delivered <see cref="ProofBatchSize"/> at a time). Default: 64.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxHeldProofs { get; set; } = 64;

    /// <summary>
    /// How long the gateway remembers a scan event id (and a finished proof) to answer duplicates. Must cover a
    /// device's longest time offline with unsent scans. Default: 14 days.
    /// </summary>
    public TimeSpan DedupeRetention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a photo stays on the gateway after the core has it (every proof naming it is committed or rejected).
    /// Default: 72 hours.
    /// </summary>
    public TimeSpan BlobRetention { get; set; } = TimeSpan.FromHours(72);

    /// <summary>How often expired dedupe records and released photos are removed. Default: 10 minutes.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Outbox depth and age are measured when the metrics are read; a read within this long of the last measurement
    /// reuses it (so the figures are never older than this). Default: 1 second.
    /// </summary>
    public TimeSpan BacklogMeasureInterval { get; set; } = TimeSpan.FromSeconds(1);
}

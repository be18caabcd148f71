namespace Edge.Gateway.Scans;

/// <summary>What the scan store did with one event.</summary>
internal enum ScanAddOutcome
{
    /// <summary>The id was new (or its record had expired): remembered for this device and queued for the core.</summary>
    Added,

    /// <summary>This device took the id before (an earlier call, another replica, an earlier copy in the same list).</summary>
    Duplicate,

    /// <summary>Another device holds the id within the dedupe window: nothing remembered, nothing queued.</summary>
    OtherDevice,
}

/// <summary>
/// Scan intake state: which event ids were taken, and by which device, for the dedupe window, and the scan outbox,
/// written together so an event is either remembered and queued for the core, or neither. An event id belongs to the
/// first device that used it until its record expires.
/// </summary>
internal interface IScanStore
{
    /// <summary>
    /// Remembers and queues each event of <paramref name="deviceId"/> whose id is new; returns, per event, whether it
    /// was added, a duplicate of this device's own, or an id another device holds. Atomic per event across replicas.
    /// </summary>
    Task<ScanAddOutcome[]> AddAsync(string deviceId, IReadOnlyList<ScanRecord> events, CancellationToken cancellationToken);

    /// <summary>Forgets event ids older than the dedupe window; returns how many.</summary>
    Task<int> SweepAsync(CancellationToken cancellationToken);
}

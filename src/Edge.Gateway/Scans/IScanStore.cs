namespace Edge.Gateway.Scans;

/// <summary>
/// Scan intake state: which event ids were taken (for the dedupe window) and the scan outbox, written together so an
/// event is either remembered and queued for the core, or neither.
/// </summary>
internal interface IScanStore
{
    /// <summary>
    /// Remembers and queues each event whose id is new; returns, per event, true when it was new and false when it
    /// is a duplicate (an earlier call, another replica or an earlier copy in the same list took it).
    /// </summary>
    Task<bool[]> AddAsync(IReadOnlyList<global::Core.V1.ScanEvent> events, CancellationToken cancellationToken);

    /// <summary>Forgets event ids older than the dedupe window; returns how many.</summary>
    Task<int> SweepAsync(CancellationToken cancellationToken);
}

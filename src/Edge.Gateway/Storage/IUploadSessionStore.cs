using Edge.Gateway.Blobs;

namespace Edge.Gateway.Storage;

/// <summary>
/// The upload sessions shared by every replica: SQLite in embedded mode, Redis in Redis mode. Every write that a
/// writer makes is fenced by its epoch, so a writer that was taken over can no longer move the upload.
/// </summary>
internal interface IUploadSessionStore
{
    /// <summary>The session, or null when there is none.</summary>
    Task<UploadSession?> GetAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically creates the session or resumes it: checks owner, object, the device's concurrent writers, its
    /// unfinished uploads and staged bytes, and the staging quota, then opens a new epoch and a new staging segment at the committed offset.
    /// </summary>
    Task<ClaimResult> ClaimAsync(UploadClaim claim, CancellationToken cancellationToken);

    /// <summary>Records a durable offset and renews the writer's lease. False when another writer took over.</summary>
    Task<bool> TryCommitAsync(UploadSession session, long committedOffset, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>
    /// In one atomic step: records the stored object in the blob index unless the digest has a record already (then
    /// that one stands, and this completion's files gain no reference), records that the device holds the digest, and
    /// marks the upload complete. Fenced by the writer's epoch: when another writer took over nothing changes.
    /// </summary>
    Task<CompletionResult> TryCompleteAsync(UploadSession session, BlobRecord record, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Frees the writer's device slot when its stream ends (no-op if another writer took over).</summary>
    Task ReleaseAsync(UploadSession session, CancellationToken cancellationToken);

    /// <summary>Removes the session (its staged bytes are worthless), returning its staging reservation.</summary>
    Task DiscardAsync(UploadSession session, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the session when it is still at <paramref name="session"/>'s epoch and has received no byte (nothing to
    /// resume), returning its reservation. False when another writer took over or bytes arrived.
    /// </summary>
    Task<bool> DiscardIfEmptyAsync(UploadSession session, CancellationToken cancellationToken);

    /// <summary>Unfinished sessions that have received no byte and were not touched since <paramref name="touchedBefore"/>.</summary>
    Task<IReadOnlyList<UploadSession>> ListEmptyAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Sessions not touched since <paramref name="touchedBefore"/>, oldest first.</summary>
    Task<IReadOnlyList<UploadSession>> ListIdleAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Unfinished sessions that hold every byte and were not touched since <paramref name="touchedBefore"/> (their
    /// writer stopped during completion), oldest first.
    /// </summary>
    Task<IReadOnlyList<UploadSession>> ListFullyReceivedAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Removes the session if it is still untouched since <paramref name="touchedBefore"/>.</summary>
    Task<bool> TryExpireAsync(string uploadId, DateTimeOffset touchedBefore, CancellationToken cancellationToken);

    /// <summary>Sum of the declared sizes of unfinished uploads.</summary>
    Task<long> GetReservedStagingBytesAsync(CancellationToken cancellationToken);
}

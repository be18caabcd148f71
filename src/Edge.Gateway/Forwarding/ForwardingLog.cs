using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Forwarding;

internal static partial class ForwardingLog
{
    [LoggerMessage(EventIds.ForwardScansForwarded, LogLevel.Debug, "Forwarded {Count} scan events to the core.")]
    public static partial void ScansForwarded(ILogger logger, int count);

    [LoggerMessage(EventIds.ForwardProofCommitted, LogLevel.Debug, "Proof {ProofId} committed at the core ({Outcome}).")]
    public static partial void ProofCommitted(ILogger logger, string proofId, string outcome);

    [LoggerMessage(EventIds.ForwardDeadLettered, LogLevel.Warning, "The core refused {Lane} item {ItemId} for good: {Reason}. Moved to the dead-letter list.")]
    public static partial void DeadLettered(ILogger logger, OutboxLane lane, string itemId, string reason);

    [LoggerMessage(EventIds.ForwardWillRetry, LogLevel.Information, "The core did not take {Count} {Lane} entries ({Reason}); next try in {Delay}.")]
    public static partial void WillRetry(ILogger logger, int count, OutboxLane lane, string reason, TimeSpan delay);

    [LoggerMessage(EventIds.ForwardBreakerOpened, LogLevel.Warning, "Circuit breaker of the {Lane} lane towards the core ({Endpoint}) opened; next trial call in {BreakDuration}.")]
    public static partial void BreakerOpened(ILogger logger, OutboxLane lane, string endpoint, TimeSpan breakDuration);

    [LoggerMessage(EventIds.ForwardBreakerClosed, LogLevel.Information, "Circuit breaker of the {Lane} lane towards the core ({Endpoint}) closed: the core answers again.")]
    public static partial void BreakerClosed(ILogger logger, OutboxLane lane, string endpoint);

    [LoggerMessage(EventIds.ForwarderFailed, LogLevel.Error, "Forwarder {Lane} failed; retrying in {Delay}.")]
    public static partial void ForwarderFailed(ILogger logger, OutboxLane lane, TimeSpan delay, Exception exception);

    [LoggerMessage(EventIds.ForwardProofRecordMissing, LogLevel.Warning, "Outbox entry for proof {ProofId} has no proof record; dropped.")]
    public static partial void ProofRecordMissing(ILogger logger, string proofId);


    [LoggerMessage(EventIds.ForwardSweepFailed, LogLevel.Error, "Sweeping dedupe records and released photos failed.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);
    [LoggerMessage(EventIds.ForwardBlobUploaded, LogLevel.Debug, "Uploaded blob {Sha256} ({Size} bytes) to the core.")]
    public static partial void BlobUploaded(ILogger logger, string sha256, long size);

    [LoggerMessage(EventIds.ForwardBacklogMeasureFailed, LogLevel.Warning, "Measuring the outbox backlog for the metrics failed; the last figures stay.")]
    public static partial void BacklogMeasureFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventIds.ForwardReplicaLeaseAcquired, LogLevel.Information, "This process forwards as replica {ReplicaId}.")]
    public static partial void ReplicaLeaseAcquired(ILogger logger, string replicaId);

    [LoggerMessage(EventIds.ForwardReplicaIdInUse, LogLevel.Warning, "Replica id {ReplicaId} (the host name) is held by another live gateway; this process forwards as {Fallback}, which a restart does not keep. Give each replica its own Edge:ReplicaId.")]
    public static partial void ReplicaIdInUse(ILogger logger, string replicaId, string fallback);

    [LoggerMessage(EventIds.ForwardReplicaLeaseLost, LogLevel.Error, "The lease on replica id {ReplicaId} was lost ({Reason}); taking it again.")]
    public static partial void ReplicaLeaseLost(ILogger logger, string replicaId, string reason);

    [LoggerMessage(EventIds.ForwardOwnEntriesReleased, LogLevel.Information, "{Count} outbox entries held by this replica's previous process are free to take at once.")]
    public static partial void OwnEntriesReleased(ILogger logger, long count);
}

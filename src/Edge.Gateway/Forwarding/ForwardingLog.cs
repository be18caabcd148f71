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

    [LoggerMessage(EventIds.ForwardBreakerOpened, LogLevel.Warning, "Circuit breaker towards the core opened for {BreakDuration}.")]
    public static partial void BreakerOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(EventIds.ForwardBreakerClosed, LogLevel.Information, "Circuit breaker towards the core closed: the core answers again.")]
    public static partial void BreakerClosed(ILogger logger);

    [LoggerMessage(EventIds.ForwarderFailed, LogLevel.Error, "Forwarder {Lane} failed; retrying in {Delay}.")]
    public static partial void ForwarderFailed(ILogger logger, OutboxLane lane, TimeSpan delay, Exception exception);

    [LoggerMessage(EventIds.ForwardProofRecordMissing, LogLevel.Warning, "Outbox entry for proof {ProofId} has no proof record; dropped.")]
    public static partial void ProofRecordMissing(ILogger logger, string proofId);


    [LoggerMessage(EventIds.ForwardSweepFailed, LogLevel.Error, "Sweeping dedupe records and released photos failed.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventIds.ForwardBlobUploaded, LogLevel.Debug, "Uploaded blob {Sha256} ({Size} bytes) to the core.")]
    public static partial void BlobUploaded(ILogger logger, string sha256, long size);
}

namespace Edge.Gateway.Forwarding;

internal static partial class ForwardingLog
{
    [LoggerMessage(500, LogLevel.Debug, "Forwarded {Count} scan events to the core.")]
    public static partial void ScansForwarded(ILogger logger, int count);

    [LoggerMessage(501, LogLevel.Debug, "Proof {ProofId} committed at the core ({Outcome}).")]
    public static partial void ProofCommitted(ILogger logger, string proofId, string outcome);

    [LoggerMessage(502, LogLevel.Warning, "The core refused {Lane} item {ItemId} for good: {Reason}. Moved to the dead-letter list.")]
    public static partial void DeadLettered(ILogger logger, OutboxLane lane, string itemId, string reason);

    [LoggerMessage(503, LogLevel.Information, "The core did not take {Count} {Lane} entries ({Reason}); next try in {Delay}.")]
    public static partial void WillRetry(ILogger logger, int count, OutboxLane lane, string reason, TimeSpan delay);

    [LoggerMessage(504, LogLevel.Warning, "Circuit breaker towards the core opened for {BreakDuration}.")]
    public static partial void BreakerOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(505, LogLevel.Information, "Circuit breaker towards the core closed: the core answers again.")]
    public static partial void BreakerClosed(ILogger logger);

    [LoggerMessage(506, LogLevel.Error, "Forwarder {Lane} failed; retrying in {Delay}.")]
    public static partial void ForwarderFailed(ILogger logger, OutboxLane lane, TimeSpan delay, Exception exception);

    [LoggerMessage(507, LogLevel.Warning, "Outbox entry for proof {ProofId} has no proof record; dropped.")]
    public static partial void ProofRecordMissing(ILogger logger, string proofId);

    [LoggerMessage(508, LogLevel.Information, "Released photo {Sha256}: the core has it and its retention ran out.")]
    public static partial void PhotoReleased(ILogger logger, string sha256);

    [LoggerMessage(509, LogLevel.Error, "Sweeping dedupe records and released photos failed.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(510, LogLevel.Debug, "Uploaded blob {Sha256} ({Size} bytes) to the core.")]
    public static partial void BlobUploaded(ILogger logger, string sha256, long size);
}

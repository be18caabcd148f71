using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Uploads;

internal static partial class UploadLog
{
    [LoggerMessage(EventIds.UploadStarted, LogLevel.Debug, "Upload {UploadId} of device {DeviceId} started at offset {Offset} of {Size} (epoch {Epoch}, resumed {Resumed}, took over {TookOver}).")]
    public static partial void Started(ILogger logger, string uploadId, string deviceId, long offset, long size, long epoch, bool resumed, bool tookOver);

    [LoggerMessage(EventIds.UploadCompleted, LogLevel.Information, "Upload {UploadId} of device {DeviceId} stored as {StoredSha256} ({Size} bytes).")]
    public static partial void Completed(ILogger logger, string uploadId, string deviceId, string storedSha256, long size);

    [LoggerMessage(EventIds.UploadDedupeHit, LogLevel.Debug, "Upload {UploadId}: blob {Sha256} already stored.")]
    public static partial void DedupeHit(ILogger logger, string uploadId, string sha256);

    [LoggerMessage(EventIds.UploadChunkRefused, LogLevel.Information, "Upload {UploadId} refused a chunk at {Offset}: {Reason}.")]
    public static partial void ChunkRefused(ILogger logger, string uploadId, long offset, string reason);

    [LoggerMessage(EventIds.UploadDigestMismatch, LogLevel.Warning, "Upload {UploadId}: digest mismatch (declared {Declared}, received {Actual}); staged bytes discarded.")]
    public static partial void DigestMismatch(ILogger logger, string uploadId, string declared, string actual);

    [LoggerMessage(EventIds.UploadTakenOver, LogLevel.Information, "Upload {UploadId} (epoch {Epoch}) was taken over by a newer stream.")]
    public static partial void TakenOver(ILogger logger, string uploadId, long epoch);

    [LoggerMessage(EventIds.UploadPhotoRejected, LogLevel.Information, "Upload {UploadId} refused by the photo pipeline: {Reason}")]
    public static partial void PhotoRejected(ILogger logger, string uploadId, string reason);

    [LoggerMessage(EventIds.UploadExpired, LogLevel.Information, "Expired upload {UploadId} (untouched since {TouchedAt}) and its staged bytes.")]
    public static partial void Expired(ILogger logger, string uploadId, DateTimeOffset touchedAt);

    [LoggerMessage(EventIds.UploadSweepFailed, LogLevel.Error, "Sweeping expired uploads failed.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventIds.UploadStreamEndedEarly, LogLevel.Debug, "Upload {UploadId} stream ended at offset {Offset} before the object was complete.")]
    public static partial void StreamEndedEarly(ILogger logger, string uploadId, long offset);

    [LoggerMessage(EventIds.UploadStrandedCompleted, LogLevel.Information, "Upload {UploadId}: completed by the sweeper (every byte was in, its writer was gone).")]
    public static partial void StrandedCompleted(ILogger logger, string uploadId);

    [LoggerMessage(EventIds.UploadStrandedFailed, LogLevel.Warning, "Upload {UploadId}: completing it for its gone writer failed; the next pass tries again.")]
    public static partial void StrandedFailed(ILogger logger, string uploadId, Exception exception);

    [LoggerMessage(EventIds.UploadConnectionLost, LogLevel.Debug, "Upload {UploadId} (epoch {Epoch}) lost its connection at offset {Offset}; what arrived is kept for the resume.")]
    public static partial void ConnectionLost(ILogger logger, string uploadId, long epoch, long offset);
}

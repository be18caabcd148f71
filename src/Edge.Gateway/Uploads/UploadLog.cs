namespace Edge.Gateway.Uploads;

internal static partial class UploadLog
{
    [LoggerMessage(1, LogLevel.Debug, "Upload {UploadId} of device {DeviceId} started at offset {Offset} of {Size} (epoch {Epoch}, resumed {Resumed}, took over {TookOver}).")]
    public static partial void Started(ILogger logger, string uploadId, string deviceId, long offset, long size, long epoch, bool resumed, bool tookOver);

    [LoggerMessage(2, LogLevel.Information, "Upload {UploadId} of device {DeviceId} stored as {StoredSha256} ({Size} bytes).")]
    public static partial void Completed(ILogger logger, string uploadId, string deviceId, string storedSha256, long size);

    [LoggerMessage(3, LogLevel.Debug, "Upload {UploadId}: blob {Sha256} already stored.")]
    public static partial void DedupeHit(ILogger logger, string uploadId, string sha256);

    [LoggerMessage(4, LogLevel.Information, "Upload {UploadId} refused a chunk at {Offset}: {Reason}.")]
    public static partial void ChunkRefused(ILogger logger, string uploadId, long offset, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Upload {UploadId}: digest mismatch (declared {Declared}, received {Actual}); staged bytes discarded.")]
    public static partial void DigestMismatch(ILogger logger, string uploadId, string declared, string actual);

    [LoggerMessage(6, LogLevel.Information, "Upload {UploadId} (epoch {Epoch}) was taken over by a newer stream.")]
    public static partial void TakenOver(ILogger logger, string uploadId, long epoch);

    [LoggerMessage(7, LogLevel.Information, "Upload {UploadId} refused by the photo pipeline: {Reason}")]
    public static partial void PhotoRejected(ILogger logger, string uploadId, string reason);

    [LoggerMessage(8, LogLevel.Information, "Expired upload {UploadId} (untouched since {TouchedAt}) and its staged bytes.")]
    public static partial void Expired(ILogger logger, string uploadId, DateTimeOffset touchedAt);

    [LoggerMessage(9, LogLevel.Error, "Sweeping expired uploads failed.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Debug, "Upload {UploadId} stream ended at offset {Offset} before the object was complete.")]
    public static partial void StreamEndedEarly(ILogger logger, string uploadId, long offset);

    [LoggerMessage(11, LogLevel.Debug, "Upload {UploadId} (epoch {Epoch}) lost its connection at offset {Offset}; what arrived is kept for the resume.")]
    public static partial void ConnectionLost(ILogger logger, string uploadId, long epoch, long offset);
}

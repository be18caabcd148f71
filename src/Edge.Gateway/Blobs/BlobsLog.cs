using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Blobs;

internal static partial class BlobsLog
{
    [LoggerMessage(EventIds.BlobReleased, LogLevel.Information, "Released photo {Sha256}; {Files} stored files deleted.")]
    public static partial void Released(ILogger logger, string sha256, int files);

    [LoggerMessage(EventIds.BlobUnreferencedFileDeleted, LogLevel.Information, "Deleted stored file {Sha256}: no record named it.")]
    public static partial void UnreferencedFileDeleted(ILogger logger, string sha256);

    [LoggerMessage(EventIds.BlobSweepFailed, LogLevel.Error, "Sweeping released photos failed.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);
}

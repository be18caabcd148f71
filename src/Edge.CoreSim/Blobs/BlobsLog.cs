using Edge.CoreSim.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Blobs;

internal static partial class BlobsLog
{
    [LoggerMessage(EventId = EventIds.BlobStored, Level = LogLevel.Debug, Message = "Stored blob {Sha256} ({SizeBytes} bytes).")]
    public static partial void Stored(ILogger logger, string sha256, long sizeBytes);

    [LoggerMessage(EventId = EventIds.BlobAlreadyPresent, Level = LogLevel.Debug, Message = "Blob {Sha256} was already present.")]
    public static partial void AlreadyPresent(ILogger logger, string sha256);

    [LoggerMessage(EventId = EventIds.BlobDigestMismatch, Level = LogLevel.Warning, Message = "Blob upload for {Sha256} received {SizeBytes} bytes hashing to {ActualSha256}; discarded.")]
    public static partial void DigestMismatch(ILogger logger, string sha256, string actualSha256, long sizeBytes);
}

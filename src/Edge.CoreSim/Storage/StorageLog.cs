using Edge.CoreSim.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = EventIds.StorageTruncatingLogTail, Level = LogLevel.Warning, Message = "Cutting a torn tail off {Path}: keeping {ValidBytes} bytes, dropping {DroppedBytes}.")]
    public static partial void TruncatingLogTail(ILogger logger, string path, long validBytes, long droppedBytes);

    [LoggerMessage(EventId = EventIds.StorageLedgerLoaded, Level = LogLevel.Information, Message = "Loaded {Count} records from {Path}.")]
    public static partial void LedgerLoaded(ILogger logger, int count, string path);

    [LoggerMessage(EventId = EventIds.StorageDataDirectory, Level = LogLevel.Information, Message = "Core simulator data directory: {DataDirectory}.")]
    public static partial void DataDirectory(ILogger logger, string dataDirectory);
}

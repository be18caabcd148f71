using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Scans;

internal static partial class ScansLog
{
    [LoggerMessage(EventIds.ScanRecorded, LogLevel.Debug, "Scans from device {DeviceId}: {Accepted} accepted, {Duplicates} duplicate, {Rejected} rejected.")]
    public static partial void Recorded(ILogger logger, string deviceId, int accepted, int duplicates, int rejected);

    /// <summary>Sampled: the first rejection of a device's scans, then at most one a period with the count left out.</summary>
    [LoggerMessage(EventIds.ScanRejected, LogLevel.Information, "Scan {EventId} of device {DeviceId} rejected: {Reason}; {Suppressed} more rejections of this device's scans since the last line.")]
    public static partial void Rejected(ILogger logger, string eventId, string deviceId, string reason, long suppressed);
}

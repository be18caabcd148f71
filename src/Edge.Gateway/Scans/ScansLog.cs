namespace Edge.Gateway.Scans;

internal static partial class ScansLog
{
    [LoggerMessage(300, LogLevel.Debug, "Scans from device {DeviceId}: {Accepted} accepted, {Duplicates} duplicate, {Rejected} rejected.")]
    public static partial void Recorded(ILogger logger, string deviceId, int accepted, int duplicates, int rejected);

    [LoggerMessage(301, LogLevel.Information, "Scan {EventId} of device {DeviceId} rejected: {Reason}.")]
    public static partial void Rejected(ILogger logger, string eventId, string deviceId, string reason);
}

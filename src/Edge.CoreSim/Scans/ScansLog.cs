using Edge.CoreSim.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Scans;

internal static partial class ScansLog
{
    [LoggerMessage(EventId = EventIds.ScanAnswered, Level = LogLevel.Debug, Message = "Scan batch of {Count}: {Accepted} accepted, {Duplicates} duplicate, {Rejected} rejected.")]
    public static partial void Answered(ILogger logger, int count, int accepted, int duplicates, int rejected);
}

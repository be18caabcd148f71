using Edge.CoreSim.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.FaultInjection;

internal static partial class FaultLog
{
    [LoggerMessage(EventId = EventIds.FaultInjected, Level = LogLevel.Debug, Message = "Injected {StatusCode} into {Method}: {Reason}.")]
    public static partial void Injected(ILogger logger, string method, StatusCode statusCode, string reason);

    [LoggerMessage(EventId = EventIds.FaultReplaced, Level = LogLevel.Information, Message = "Faults replaced: {Faults}.")]
    public static partial void Replaced(ILogger logger, Core.V1.Faults faults);
}

using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Core;

internal static partial class CoreLog
{
    [LoggerMessage(EventIds.CoreEmbeddedSimulatorStarted, LogLevel.Information, "No core address is configured: the core simulator runs in this process at {Address}.")]
    public static partial void EmbeddedSimulatorStarted(ILogger logger, string address);
}

using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Core;

internal static partial class CoreLog
{
    [LoggerMessage(EventIds.CoreEmbeddedSimulatorStarted, LogLevel.Information, "No core address is configured: the core simulator runs in this process at {Address}.")]
    public static partial void EmbeddedSimulatorStarted(ILogger logger, string address);

    [LoggerMessage(EventIds.CoreChannelReplaced, LogLevel.Warning, "The channel to the core stayed in {State} for {StuckAfter} without trying to connect again; replaced by a new channel.")]
    public static partial void ChannelReplaced(ILogger logger, string state, TimeSpan stuckAfter);
}

using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventIds.CallUnexpectedError, LogLevel.Error, "Call {Method} failed with an unexpected error; answered INTERNAL.")]
    public static partial void UnexpectedError(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventIds.CallStatusMessageBounded, LogLevel.Warning, "Call {Method} ended {StatusCode} with a status message of {Length} characters or control characters; sent bounded.")]
    public static partial void StatusMessageBounded(ILogger logger, string method, Grpc.Core.StatusCode statusCode, int length);

    [LoggerMessage(EventIds.CallStateStoreUnavailable, LogLevel.Warning, "Call {Method} answered UNAVAILABLE: the state store is not answering; {Suppressed} more such calls since the last line.")]
    public static partial void StateStoreUnavailable(ILogger logger, string method, long suppressed, Exception exception);
}

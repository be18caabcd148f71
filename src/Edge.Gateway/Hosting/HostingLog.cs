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

    [LoggerMessage(EventIds.AcceptExhausted, LogLevel.Error, "Cannot accept connections on {Endpoint}: {Error}; retrying with a growing pause (at most {MaxDelay}) until descriptors are free.")]
    public static partial void AcceptExhausted(ILogger logger, string endpoint, string error, TimeSpan maxDelay);

    [LoggerMessage(EventIds.AcceptRecovered, LogLevel.Information, "Accepting connections on {Endpoint} again after {Failures} failed accepts ({Error}).")]
    public static partial void AcceptRecovered(ILogger logger, string endpoint, int failures, string error);

    [LoggerMessage(EventIds.CallDescriptorsExhausted, LogLevel.Error, "Call {Method} answered UNAVAILABLE: the process is out of file descriptors; {Suppressed} more such calls since the last line.")]
    public static partial void DescriptorsExhausted(ILogger logger, string method, long suppressed, Exception exception);
}

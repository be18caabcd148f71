using System.Net.Http;
using Grpc.Core;

namespace Edge.Client.Connection;

/// <summary>Which failures a retry can fix: a lost link, a dropped connection, a busy or restarting gateway.</summary>
internal static class TransientErrors
{
    /// <summary>
    /// True when <paramref name="error"/> is worth a retry. A cancellation is one only when the caller did not ask
    /// for it (a reset connection or a per-attempt deadline cancels calls too).
    /// </summary>
    public static bool IsTransient(Exception error, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested)
        {
            return false;
        }

        return error switch
        {
            RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.DeadlineExceeded
                or StatusCode.Internal or StatusCode.Aborted or StatusCode.ResourceExhausted or StatusCode.Unknown,
            IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException => true,
            _ => false,
        };
    }

    /// <summary>
    /// True when <paramref name="error"/> is the connection breaking under a call, without a word from the gateway
    /// (a reset, an I/O error, a dead keep-alive): the link failed, not the gateway. A status the gateway sent (even
    /// UNAVAILABLE while it shuts down) is not a cut.
    /// </summary>
    public static bool IsCut(Exception error) => error switch
    {
        RpcException rpc => rpc.Status.DebugException is not null,
        IOException or HttpRequestException => true,
        _ => false,
    };
}

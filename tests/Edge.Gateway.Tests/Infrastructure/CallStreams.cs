using Grpc.Core;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>Client-side stream helpers for calls the gateway may end while the client is still writing.</summary>
public static class CallStreams
{
    /// <summary>
    /// Writes <paramref name="requests"/> (and completes the request stream when <paramref name="complete"/>), then reads
    /// the responses to the end, so that what this throws is the call's status. A write races the gateway's end of the
    /// call: it fails with whatever the client knows at that moment (often CANCELLED before the trailers are read), so
    /// such a failure is not taken as the status; the responses then give the real one.
    /// </summary>
    public static async Task WriteAllThenReadAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call,
        IEnumerable<TRequest> requests, bool complete = true)
    {
        try
        {
            foreach (var request in requests)
            {
                await call.RequestStream.WriteAsync(request);
            }

            if (complete)
            {
                await call.RequestStream.CompleteAsync();
            }
        }
        catch (RpcException)
        {
            // The gateway ended the call first; its status is read below.
        }

        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }
}

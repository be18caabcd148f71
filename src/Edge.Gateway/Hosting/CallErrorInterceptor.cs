using Edge.Gateway.Limits;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Data.Sqlite;
using StackExchange.Redis;

namespace Edge.Gateway.Hosting;

/// <summary>
/// Wraps every gateway call so that none ends <c>UNKNOWN</c>: an exception a handler did not turn into a status ends
/// the call <c>INTERNAL</c> with a generic message (the exception is logged, the client's data is not), an
/// <see cref="OperationCanceledException"/> of a call the client cancelled ends it <c>CANCELLED</c>, and a status
/// whose message is too long for a header or carries control characters goes out bounded (<see cref="ClientText"/>).
/// A state store that cannot be reached (Redis down or timing out, SQLite busy past its timeout) ends the call
/// <c>UNAVAILABLE</c>, which clients retry, logged at most once per method per period.
/// </summary>
internal sealed class CallErrorInterceptor(ILogger<CallErrorInterceptor> logger, TimeProvider timeProvider) : Interceptor
{
    /// <summary>The message of a call the state store could not serve: nothing was changed that a retry would repeat wrongly.</summary>
    public const string StateStoreUnavailableMessage = "The gateway's state store is not answering; retry later.";

    /// <summary>The message of a call that failed because the gateway could not open a file or a connection.</summary>
    public const string DescriptorsExhaustedMessage = "The gateway is out of file descriptors at the moment; retry later.";

    private readonly RefusalSampler _outageLines = new(timeProvider, TimeSpan.FromSeconds(10));

    /// <summary>The message of an unexpected failure: nothing about the request or the gateway's insides.</summary>
    public const string InternalMessage = "The gateway failed to handle this call; retry later.";

    /// <summary>The message of a call that ended because the client cancelled it.</summary>
    public const string CancelledMessage = "The call was cancelled.";

    private const string StatusDetailsTrailer = "grpc-status-details-bin";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (Translate(e, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(new ResetAwareReader<TRequest>(requestStream), context);
        }
        catch (Exception e) when (Translate(e, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (Translate(e, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(new ResetAwareReader<TRequest>(requestStream), responseStream, context);
        }
        catch (Exception e) when (Translate(e, context) is { } status)
        {
            throw status;
        }
    }

    /// <summary>The status to end the call with instead of <paramref name="error"/>, or null to let it through as it is.</summary>
    private RpcException? Translate(Exception error, ServerCallContext context)
    {
        switch (error)
        {
            case RpcException rpc:
                return Bounded(rpc, context);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
            case ClientStreamResetException:
                return new RpcException(new Status(StatusCode.Cancelled, CancelledMessage));
            case Exception when IsStateStoreUnavailable(error):
                if (_outageLines.ShouldLog("state-store", context.Method, out var suppressed))
                {
                    HostingLog.StateStoreUnavailable(logger, context.Method, suppressed, error);
                }

                return new RpcException(new Status(StatusCode.Unavailable, StateStoreUnavailableMessage));
            case Exception when IsDescriptorExhaustion(error):
                if (_outageLines.ShouldLog("descriptors", context.Method, out var skipped))
                {
                    HostingLog.DescriptorsExhausted(logger, context.Method, skipped, error);
                }

                return new RpcException(new Status(StatusCode.Unavailable, DescriptorsExhaustedMessage));
            default:
                HostingLog.UnexpectedError(logger, context.Method, error);
                return new RpcException(new Status(StatusCode.Internal, InternalMessage));
        }
    }

    /// <summary>The same status with its message bounded (also inside <c>google.rpc.Status</c> details), or null when it already is.</summary>
    private RpcException? Bounded(RpcException rpc, ServerCallContext context)
    {
        var detail = rpc.Status.Detail ?? string.Empty;
        if (detail.Length <= ClientText.MaxMessageLength && ClientText.IsPlain(detail))
        {
            return null;
        }

        HostingLog.StatusMessageBounded(logger, context.Method, rpc.StatusCode, detail.Length);
        var bounded = ClientText.Bound(detail, ClientText.MaxMessageLength);
        var trailers = new Metadata();
        foreach (var entry in rpc.Trailers)
        {
            if (entry.Key != StatusDetailsTrailer)
            {
                trailers.Add(entry);
            }
        }

        if (rpc.GetRpcStatus() is { } details)
        {
            details.Message = bounded;
            trailers.Add(StatusDetailsTrailer, details.ToByteArray());
        }

        return new RpcException(new Status(rpc.StatusCode, bounded), trailers);
    }

    /// <summary>
    /// A failure of the state store itself rather than of the call: Redis unreachable or not answering in time, or SQLite
    /// still busy or locked after its busy timeout. Script and type errors stay unexpected (they are bugs).
    /// </summary>
    internal static bool IsStateStoreUnavailable(Exception error) => error switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        SqliteException { SqliteErrorCode: 5 or 6 } => true,   // SQLITE_BUSY, SQLITE_LOCKED
        AggregateException { InnerExceptions: [var inner] } => IsStateStoreUnavailable(inner),
        _ => false,
    };

    /// <summary>
    /// True when <paramref name="error"/> says the process is out of file descriptors (EMFILE, ENFILE: .NET puts the
    /// errno in an <see cref="IOException"/>'s HResult on Unix), or SQLite could not open a file for that reason.
    /// </summary>
    internal static bool IsDescriptorExhaustion(Exception error) => error switch
    {
        System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.TooManyOpenSockets } => true,
        IOException { HResult: 23 or 24 } => true,
        SqliteException { SqliteErrorCode: 14 } => true,   // SQLITE_CANTOPEN
        AggregateException { InnerExceptions: [var inner] } => IsDescriptorExhaustion(inner),
        _ => false,
    };

    /// <summary>
    /// The client's stream as the handler reads it, with a reset by the client (Kestrel throws an
    /// <see cref="IOException"/> from the read, sometimes before the call's token says the client is gone) told apart
    /// from the gateway's own I/O failures: the call then ends CANCELLED like any call the client abandoned.
    /// </summary>
    private sealed class ResetAwareReader<T>(IAsyncStreamReader<T> inner) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            // Most reads (every chunk of an upload) complete without failing: those pass through as they are.
            var next = inner.MoveNext(cancellationToken);
            return next.IsCompletedSuccessfully ? next : TranslateResetAsync(next);
        }

        private static async Task<bool> TranslateResetAsync(Task<bool> next)
        {
            try
            {
                return await next;
            }
            catch (IOException e) when (e is not ClientStreamResetException)
            {
                throw new ClientStreamResetException(e);
            }
        }
    }
}

/// <summary>The client reset or lost its request stream while the gateway was reading it.</summary>
internal sealed class ClientStreamResetException(IOException inner) : IOException("The client reset or lost its request stream.", inner);

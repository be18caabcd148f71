using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Edge.CoreSim.Security;

/// <summary>
/// The core authenticates its caller: with <see cref="CoreSimulatorOptions.AccessToken"/> set, every call of the core
/// services must carry <c>authorization: Bearer &lt;token&gt;</c>, or it ends UNAUTHENTICATED before any work (and
/// before fault injection). Compared in constant time over the tokens' SHA-256, so neither content nor length leaks.
/// </summary>
internal sealed class AccessTokenInterceptor(IOptions<CoreSimulatorOptions> options) : Interceptor
{
    private readonly byte[]? _expected = string.IsNullOrEmpty(options.Value.AccessToken)
        ? null
        : SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AccessToken));

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (_expected is null)
        {
            return;
        }

        const string Scheme = "Bearer ";
        var header = context.RequestHeaders.GetValue("authorization");
        var presented = header is not null && header.StartsWith(Scheme, StringComparison.Ordinal)
            ? SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..]))
            : null;
        if (presented is null || !CryptographicOperations.FixedTimeEquals(presented, _expected))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The core needs the gateway's access token."));
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using Edge.CoreSim.Admin;
using Edge.CoreSim.Contract;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.FaultInjection;

/// <summary>
/// Applies the fault set in force to calls of the core services: down, latency and error rate before the call,
/// a lost response after it. Registered per service, so it never touches a host's other services.
/// </summary>
internal sealed class FaultInterceptor(FaultState faults, CoreCounters counters, TimeProvider timeProvider, ILogger<FaultInterceptor> logger)
    : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var set = await BeforeCallAsync(context);
        var response = await continuation(request, context);
        AfterCall(set, context);
        return response;
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var set = await BeforeCallAsync(context);
        var response = await continuation(requestStream, context);
        AfterCall(set, context);
        return response;
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await BeforeCallAsync(context);
        await continuation(request, responseStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await BeforeCallAsync(context);
        await continuation(requestStream, responseStream, context);
    }

    private async Task<FaultSet> BeforeCallAsync(ServerCallContext context)
    {
        var set = faults.Current;
        if (!set.AppliesTo(context.Method))
        {
            return FaultSet.None;
        }

        var now = timeProvider.GetUtcNow();
        if (set.DownUntil is { } downUntil && now < downUntil)
        {
            Count(context, StatusCode.Unavailable, "down");
            throw CoreErrors.Unavailable($"The core is down until {downUntil:O} (injected fault).", downUntil - now);
        }

        var delay = set.Latency + (set.LatencyJitter * NextDouble());
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, timeProvider, context.CancellationToken);
        }

        if (Happens(set.ErrorRate))
        {
            Count(context, set.ErrorCode, "error rate");
            throw new RpcException(new Status(set.ErrorCode, "Injected fault: error rate."));
        }

        return set;
    }

    private void AfterCall(FaultSet set, ServerCallContext context)
    {
        if (Happens(set.LostResponseRate))
        {
            Count(context, StatusCode.Unavailable, "lost response");
            throw new RpcException(new Status(StatusCode.Unavailable, "Injected fault: the call was done but its answer was lost."));
        }
    }

    private void Count(ServerCallContext context, StatusCode statusCode, string reason)
    {
        counters.FaultInjected(context.Method);
        FaultLog.Injected(logger, context.Method, statusCode, reason);
    }

    private static bool Happens(double rate) => rate >= 1 || (rate > 0 && NextDouble() < rate);

    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Fault injection, not security.")]
    private static double NextDouble() => Random.Shared.NextDouble();
}

using Edge.Gateway.Hosting;
using Edge.Gateway.Scans;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Hosting;

/// <summary>
/// No call ends UNKNOWN, and what a client sends never reaches a status message or a log line unbounded: over real
/// HTTP/2, with the gateway's own logging collected.
/// </summary>
public sealed class CallErrorTests
{
    private static readonly string HugeId = new('x', 64 * 1024);

    [Fact]
    public async Task Call_HandlerFailsUnexpectedly_EndsInternalWithAGenericMessageAndTheExceptionIsLogged()
    {
        var store = new FailingScanStore(_ => throw new InvalidOperationException("secret insides of the gateway"));
        await using var host = await StartAsync(store);
        var client = new V1.Scans.ScansClient(host.Channel());

        var error = await Assert.ThrowsAsync<RpcException>(() => client.RecordScansAsync(new RecordScansRequest { Events = { Scan("boom-1") } }).ResponseAsync);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(CallErrorInterceptor.InternalMessage, error.Status.Detail);
        var logged = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Exception is InvalidOperationException);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Contains("/edge.v1.Scans/RecordScans", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_CancelledByTheClient_EndsCancelledNotUnknown()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FailingScanStore(async token =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        var outcomes = new StatusRecorder();
        await using var host = await StartAsync(store, outcomes);
        var client = new V1.Scans.ScansClient(host.Channel());
        using var cancel = new CancellationTokenSource();

        var call = client.RecordScansAsync(new RecordScansRequest { Events = { Scan("hang-1") } }, cancellationToken: cancel.Token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        var ended = await outcomes.Ended.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal(StatusCode.Cancelled, ended);
    }

    [Fact]
    public async Task Call_StatusWithAHugeMessage_GoesOutBoundedWithItsDetails()
    {
        var huge = new Google.Rpc.Status { Code = (int)Code.FailedPrecondition, Message = HugeId + "\r\nforged" };
        huge.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(new ErrorInfo { Reason = "TEST" }));
        var store = new FailingScanStore(_ => throw huge.ToRpcException());
        await using var host = await StartAsync(store);
        var client = new V1.Scans.ScansClient(host.Channel());

        var error = await Assert.ThrowsAsync<RpcException>(() => client.RecordScansAsync(new RecordScansRequest { Events = { Scan("long-1") } }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        AssertBounded(error.Status.Detail);
        Assert.EndsWith($"({HugeId.Length + 8} chars)", error.Status.Detail, StringComparison.Ordinal);
        var details = error.GetRpcStatus()!;
        Assert.Equal(error.Status.Detail, details.Message);
        Assert.Equal("TEST", details.GetDetail<ErrorInfo>().Reason);
    }

    [Fact]
    public async Task GetProofStatus_64KbId_IsInvalidArgumentWithAShortMessage()
    {
        await using var host = await StartAsync();
        var client = new V1.Proofs.ProofsClient(host.Channel());

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = HugeId }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        AssertBounded(error.Status.Detail);
        Assert.Equal("proof_id", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task GetManifest_64KbRouteId_IsInvalidArgumentWithAShortMessage()
    {
        await using var host = await StartAsync();
        var client = new V1.Manifests.ManifestsClient(host.Channel());

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetManifestAsync(new GetManifestRequest { RouteId = HugeId }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        AssertBounded(error.Status.Detail);
    }

    [Fact]
    public async Task Logs_OfHostileIds_HaveNoControlCharactersAndStayShort()
    {
        await using var host = await StartAsync();
        var scans = new V1.Scans.ScansClient(host.Channel("device-a"));
        var hostile = new[] { "evil\r\n2026-11-01 INFO forged line", "esc\u001b[2Jape", "bidi\u202Eexe.gpj", HugeId, HugeId + "\n" };
        var request = new RecordScansRequest { Events = { hostile.Select((id, i) => Scan(id, i)) } };
        await new V1.Scans.ScansClient(host.Channel("device-b")).RecordScansAsync(new RecordScansRequest { Events = { Scan("held-by-b") } });
        request.Events.Add(Scan("held-by-b"));

        var response = await scans.RecordScansAsync(request);

        Assert.All(response.Results, r => Assert.Equal(ScanResult.Types.Outcome.Rejected, r.Outcome));
        var records = host.Services.GetFakeLogCollector().GetSnapshot();
        var rejections = records.Where(r => r.Category == typeof(ScansService).FullName && r.Level == LogLevel.Information).ToList();
        Assert.Equal(request.Events.Count, rejections.Count);
        Assert.Contains(rejections, r => r.Message.Contains("evil\\r\\n2026", StringComparison.Ordinal));
        Assert.Contains(rejections, r => r.Message.Contains("bidi\\u202eexe", StringComparison.Ordinal));
        Assert.Contains(rejections, r => r.Message.Contains($"({HugeId.Length + 1} chars)", StringComparison.Ordinal));
        Assert.All(records, r =>
        {
            Assert.DoesNotContain(r.Message, char.IsControl);
            Assert.True(r.Message.Length < 1000, $"a log line of {r.Message.Length} characters");
        });
    }

    private static void AssertBounded(string message)
    {
        Assert.InRange(message.Length, 1, ClientText.MaxMessageLength + 32);
        Assert.DoesNotContain(message, char.IsControl);
    }

    private static Task<GatewayHost> StartAsync(IScanStore? store = null, StatusRecorder? outcomes = null)
        => GatewayHost.StartAsync(settings: FastForwarding(new() { ["Edge:Limits:RefusalLogPeriod"] = "00:00:00" }), services: services =>
        {
            services.AddFakeLogsOfEveryLevel();
            if (store is not null)
            {
                services.AddSingleton(store);
            }

            if (outcomes is not null)
            {
                // Added before the gateway's own interceptor, so it runs outside it and sees what the call ends with.
                services.AddSingleton(outcomes);
                services.AddGrpc(grpc => grpc.Interceptors.Add<StatusRecorder>());
            }
        });

    /// <summary>A scan store whose every call runs <paramref name="fail"/> (which throws or waits).</summary>
    private sealed class FailingScanStore(Func<CancellationToken, Task> fail) : IScanStore
    {
        public async Task<ScanAddOutcome[]> AddAsync(string deviceId, IReadOnlyList<ScanRecord> events, CancellationToken cancellationToken)
        {
            await fail(cancellationToken);
            return new ScanAddOutcome[events.Count];
        }

        public Task<int> SweepAsync(CancellationToken cancellationToken) => Task.FromResult(0);
    }

    /// <summary>Records the status a unary call ends with on the server, as the framework gets it.</summary>
    private sealed class StatusRecorder : Interceptor
    {
        public TaskCompletionSource<StatusCode> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
            TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            try
            {
                var response = await continuation(request, context);
                Ended.TrySetResult(StatusCode.OK);
                return response;
            }
            catch (RpcException e)
            {
                Ended.TrySetResult(e.StatusCode);
                throw;
            }
            catch
            {
                Ended.TrySetResult(StatusCode.Unknown);
                throw;
            }
        }
    }
}

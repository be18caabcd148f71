using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>
/// Gateways for the abuse suite, one per state mode, with the real photo pipeline, and the victim: a device whose
/// photo, scans and proof must go through whatever another client does.
/// </summary>
public abstract class AbuseTestBase : IAsyncLifetime
{
    private readonly List<GatewayHost> _hosts = [];

    protected abstract string? Redis { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    protected async Task<GatewayHost> StartAsync(Dictionary<string, string?>? settings = null, CapturedLogs? logs = null, string? redisPrefix = null)
    {
        var host = await GatewayHost.StartAsync(redis: Redis, settings: settings, services: s =>
        {
            if (logs is not null)
            {
                s.AddSingleton<ILoggerProvider>(logs);
            }
        }, redisKeyPrefix: redisPrefix);
        _hosts.Add(host);
        return host;
    }

    /// <summary>The victim: a real photo uploaded, two scans accepted and a proof naming the photo received.</summary>
    protected static async Task VictimGoesThroughAsync(GatewayHost host, string tag)
    {
        var device = "victim-" + tag;
        var channel = host.Channel(device);
        await VictimGoesThroughAsync(channel, device);
    }

    protected static async Task VictimGoesThroughAsync(GrpcChannel channel, string device)
    {
        await TestIntake.StartRouteAsync(channel);
        var photos = await TestIntake.UploadPhotosAsync(channel, 1, device);
        var scans = await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest
        {
            Events = { TestIntake.Scan(device + "-scan-1", 1), TestIntake.Scan(device + "-scan-2", 2) },
        });
        Assert.All(scans.Results, r => Assert.Equal(ScanResult.Types.Outcome.Accepted, r.Outcome));
        var receipt = await new V1.Proofs.ProofsClient(channel).SubmitProofAsync(TestIntake.Proof(device + "-proof", photos));
        Assert.Equal(ProofStatus.Received, receipt.Status);
    }

    /// <summary>
    /// Starts an upload, sends its first chunk, waits until the gateway acknowledges it and drops the stream: an upload
    /// left unfinished. Throws the refusal when the start is refused.
    /// </summary>
    protected static async Task LeaveUnfinishedAsync(V1.Uploads.UploadsClient client, string uploadId, byte[] data)
    {
        using var call = client.Upload();
        await call.RequestStream.WriteAsync(TestUploader.Start(uploadId, data));
        Assert.True(await call.ResponseStream.MoveNext());
        await call.RequestStream.WriteAsync(TestUploader.Chunk(data, 0, 64 * 1024));
        while (await call.ResponseStream.MoveNext() && call.ResponseStream.Current.Ack is null)
        {
        }
    }

    /// <summary>RESOURCE_EXHAUSTED with a positive google.rpc.RetryInfo delay.</summary>
    protected static void AssertRefusedWithRetry(RpcException error)
    {
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var retry = error.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.ToTimeSpan() > TimeSpan.Zero);
    }
}

using System.Diagnostics.Metrics;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>
/// A device that watches its receipts and never reads them while its proofs keep coming: its watch is ended
/// RESOURCE_EXHAUSTED once its queue is full, it can watch again, and another device's watch goes on. Over real HTTP/2,
/// so the client's flow-control window and the server's buffers fill for real before the queue does.
/// </summary>
public abstract class WatcherAbuseTests : AbuseTestBase
{
    [Fact]
    public async Task WatchReceipts_ThatIsNotRead_IsEndedResourceExhausted_AndTheDeviceWatchesAgain()
    {
        // A queue longer than the bursts of receipts the forwarders make (a batch committed at once), so it fills only
        // once the stream is blocked by the client's HTTP/2 window: a gateway that waited for the write would never end it.
        var host = await StartAsync(TestIntake.FastForwarding(new() { ["Edge:Limits:WatcherQueueLength"] = "64" }));
        using var refused = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), EdgeMetrics.MeterName, "edge.limits.refused");
        var channel = host.Channel("laggard");
        await TestIntake.StartRouteAsync(channel);
        var photo = await TestIntake.UploadPhotosAsync(channel, 1, "laggard");
        var proofs = new V1.Proofs.ProofsClient(channel);
        var bystanderProofs = new V1.Proofs.ProofsClient(host.Channel("bystander"));
        using var lagging = proofs.WatchReceipts(new WatchReceiptsRequest());
        using var bystander = bystanderProofs.WatchReceipts(new WatchReceiptsRequest());
        await lagging.ResponseHeadersAsync;
        await bystander.ResponseHeadersAsync;

        // Long proof ids make large receipts, so the HTTP/2 window (64 KiB) and Kestrel's buffer fill in a few hundred.
        var sent = 0;
        await TestIntake.WaitUntilAsync(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await proofs.SubmitProofAsync(TestIntake.Proof($"lag-{sent++:D5}-{new string('x', 110)}", photo));
            }

            return refused.GetMeasurementSnapshot().Any(m => (string?)m.Tags["limit"] == "receipt_watch_behind");
        }, TimeSpan.FromMinutes(3), "the lagging watch to be ended");

        var received = 0;
        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await lagging.ResponseStream.MoveNext())
            {
                received++;
            }
        });
        using var again1 = proofs.WatchReceipts(new WatchReceiptsRequest());
        using var again2 = proofs.WatchReceipts(new WatchReceiptsRequest());
        await again1.ResponseHeadersAsync;
        await again2.ResponseHeadersAsync;
        var own = await bystanderProofs.SubmitProofAsync(await BystanderProofAsync(host));
        Assert.True(await bystander.ResponseStream.MoveNext());
        await VictimGoesThroughAsync(host, "watchers");

        AssertRefusedWithRetry(ended);
        Assert.Contains("behind", ended.Status.Detail, StringComparison.Ordinal);
        Assert.InRange(received, 1, 2 * sent - 1); // it missed receipts: it was behind
        Assert.Equal(own.ProofId, bystander.ResponseStream.Current.ProofId);
    }

    private static async Task<SubmitProofRequest> BystanderProofAsync(GatewayHost host)
    {
        var channel = host.Channel("bystander");
        var photo = await TestIntake.UploadPhotosAsync(channel, 1, "bystander");
        return TestIntake.Proof("bystander-proof", photo);
    }
}

public sealed class EmbeddedWatcherAbuseTests : WatcherAbuseTests
{
    protected override string? Redis => null;
}

[Collection(RedisCollection.Name)]
public sealed class RedisWatcherAbuseTests(RedisServer redis) : WatcherAbuseTests
{
    protected override string? Redis => redis.ConnectionString;
}

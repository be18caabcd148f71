using Edge.Gateway.Blobs;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Blobs;

/// <summary>Photos leave the gateway's disk only after the core has them and the retention has passed; never before.</summary>
[Collection(RedisCollection.Name)]
public sealed class PhotoRetentionTests(RedisServer redis)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Photo_IsDeletedAfterTheCoreHasItPlusRetention_NeverWhileAProofStillWaits(bool useRedis)
    {
        var retention = TimeSpan.FromSeconds(2);
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null,
            settings: FastForwarding(new() { ["Edge:Forwarding:BlobRetention"] = "00:00:02" }));
        var channel = host.Channel();
        await StartRouteAsync(channel);
        var admin = await AdminAsync(host);
        var photos = await UploadPhotosAsync(channel, 2, $"retain-{useRedis}");
        var index = host.Services.GetRequiredService<IBlobIndex>();
        var stored = new[] { (await index.GetAsync(photos[0], CancellationToken.None))!, (await index.GetAsync(photos[1], CancellationToken.None))! };
        var blobs = host.Services.GetRequiredService<BlobStore>();
        var sweeper = host.Services.GetServices<IHostedService>().OfType<BlobSweeper>().Single();
        var client = new V1.Proofs.ProofsClient(channel);

        // Photo 0: its proof reaches the core. Photo 1: its proof waits, the core is down.
        await client.SubmitProofAsync(Proof($"kept-{useRedis}", photos[0]));
        await WaitUntilAsync(async () => (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = $"kept-{useRedis}" })).Status == ProofStatus.Committed);
        var committedAt = DateTime.UtcNow;
        await SetCoreDownAsync(admin, down: true);
        await client.SubmitProofAsync(Proof($"waiting-{useRedis}", photos[1]));

        await sweeper.SweepOnceAsync(CancellationToken.None);
        var keptRightAfterCommit = blobs.Exists(stored[0].StoredSha256);
        var wait = committedAt + retention + TimeSpan.FromMilliseconds(500) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await sweeper.SweepOnceAsync(CancellationToken.None);

        Assert.True(keptRightAfterCommit);
        Assert.False(blobs.Exists(stored[0].StoredSha256));
        Assert.False(blobs.Exists(stored[0].Photo!.ThumbnailSha256));
        Assert.True(blobs.Exists(stored[1].StoredSha256)); // its proof has not reached the core
        Assert.True(blobs.Exists(stored[1].Photo!.ThumbnailSha256));

        await SetCoreDownAsync(admin, down: false);
        await WaitUntilAsync(async () => (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = $"waiting-{useRedis}" })).Status == ProofStatus.Committed);
        var core = await admin.GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = $"waiting-{useRedis}" });
        Assert.Equal(stored[1].StoredSha256, Assert.Single(core.Proof.Photos).StoredSha256);
    }
}

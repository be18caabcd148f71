using Edge.Gateway.Tests.Infrastructure;
using Edge.Testing;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>In Redis mode a device's budgets hold across replicas: spending them on one replica spends them on all.</summary>
[Collection(RedisCollection.Name)]
public sealed class SharedBudgetTests(RedisServer redis) : AbuseTestBase
{
    protected override string? Redis => redis.ConnectionString;

    [Fact]
    public async Task ScanRate_SpentOnOneReplica_IsRefusedOnTheOther()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var settings = new Dictionary<string, string?> { ["Edge:Limits:ScanEventBurst"] = "500", ["Edge:Limits:ScanEventsPerSecond"] = "1" };
        var first = await StartAsync(settings, redisPrefix: prefix);
        var second = await StartAsync(settings, redisPrefix: prefix);
        var request = new RecordScansRequest();
        for (var i = 0; i < 500; i++)
        {
            request.Events.Add(TestIntake.Scan("spread-" + i, i + 1));
        }

        await new V1.Scans.ScansClient(first.Channel("attacker")).RecordScansAsync(request);
        var refused = await Assert.ThrowsAsync<RpcException>(() => new V1.Scans.ScansClient(second.Channel("attacker")).RecordScansAsync(request).ResponseAsync);
        await VictimGoesThroughAsync(second, "replicas");

        AssertRefusedWithRetry(refused);
    }

    [Fact]
    public async Task UnfinishedUploads_OnOneReplica_CountOnTheOther()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var settings = new Dictionary<string, string?> { ["Edge:Uploads:MaxUnfinishedUploadsPerDevice"] = "2" };
        var first = await StartAsync(settings, redisPrefix: prefix);
        var second = await StartAsync(settings, redisPrefix: prefix);
        var data = TestUploader.RandomBytes(200_000, seed: 9);
        foreach (var (host, id) in new[] { (first, "r-0"), (second, "r-1") })
        {
            await LeaveUnfinishedAsync(new V1.Uploads.UploadsClient(host.Channel("attacker")), id, [.. data, (byte)id[^1]]);
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => TestUploader.UploadAsync(new V1.Uploads.UploadsClient(first.Channel("attacker")), "r-2", data));
        await VictimGoesThroughAsync(first, "replica-uploads");

        AssertRefusedWithRetry(refused);
    }

    [Fact]
    public async Task Watches_OnOneReplica_CountOnTheOther_AndOneClosedThereFreesASlotHere()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var first = await StartAsync(redisPrefix: prefix);
        var second = await StartAsync(redisPrefix: prefix);
        var onFirst = first.Channel("watcher", ["R-0001"]);
        var onSecond = second.Channel("watcher", ["R-0001"]);
        await ReceiptToWatchAsync(onFirst, "watcher");
        using var watch1 = await WatchAsync(onFirst);
        using var watch2 = await WatchAsync(onFirst);
        using var manifest = new V1.Manifests.ManifestsClient(onFirst).WatchManifest(new WatchManifestRequest { RouteId = "R-0001" });
        Assert.True(await manifest.ResponseStream.MoveNext());

        var third = await Assert.ThrowsAsync<RpcException>(() => WatchAsync(onSecond));
        var secondManifest = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = new V1.Manifests.ManifestsClient(onSecond).WatchManifest(new WatchManifestRequest { RouteId = "R-0001" });
            await call.ResponseStream.MoveNext();
        });
        watch1.Dispose();
        using var reopened = await WatchOnceFreeAsync(onSecond);
        await VictimGoesThroughAsync(second, "watch-replicas");

        AssertRefusedWithRetry(third);
        AssertRefusedWithRetry(secondManifest);
        AssertRefusedWithRetry(await Assert.ThrowsAsync<RpcException>(() => WatchAsync(onFirst))); // two open: one on each replica
    }

    [Fact]
    public async Task Watches_OfAReplicaThatDied_FreeTheirSlotsWhenTheirLeasesRunOut()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var doomed = await GatewayProcess.StartAsync(new GatewayProcessOptions
        {
            Redis = Redis,
            Arguments = ["--Edge:RedisKeyPrefix", prefix, "--Edge:Limits:StreamLease", "00:00:02"],
        });
        var survivor = await StartAsync(new() { ["Edge:Limits:StreamLease"] = "00:00:03" }, redisPrefix: prefix);
        using var onDoomed = TestChannels.Create(doomed.Address, TestTokens.Mint("watcher"));
        var onSurvivor = survivor.Channel("watcher");
        await ReceiptToWatchAsync(onSurvivor, "watcher");
        using var watch1 = await WatchAsync(onDoomed);
        using var watch2 = await WatchAsync(onDoomed);
        var whileAlive = await Assert.ThrowsAsync<RpcException>(() => WatchAsync(onSurvivor));

        doomed.Kill(); // SIGKILL: its streams are never ended, its leases never released
        using var reopened1 = await WatchOnceFreeAsync(onSurvivor);
        using var reopened2 = await WatchOnceFreeAsync(onSurvivor);
        await Task.Delay(TimeSpan.FromSeconds(8)); // well past the lease: only renewals keep the survivor's two

        AssertRefusedWithRetry(whileAlive);
        AssertRefusedWithRetry(await Assert.ThrowsAsync<RpcException>(() => WatchAsync(onSurvivor)));
    }

    /// <summary>A proof of the device, so that a watch from an hour ago starts with its receipt.</summary>
    private static async Task ReceiptToWatchAsync(Grpc.Net.Client.GrpcChannel channel, string device)
    {
        await TestIntake.StartRouteAsync(channel);
        var photos = await TestIntake.UploadPhotosAsync(channel, 1, device);
        await new V1.Proofs.ProofsClient(channel).SubmitProofAsync(TestIntake.Proof(device + "-proof", photos));
    }

    /// <summary>
    /// A <c>WatchReceipts</c> stream the gateway accepted: it replays the device's receipt (a refusal ends the call at
    /// once, and is thrown).
    /// </summary>
    private static async Task<AsyncServerStreamingCall<ProofReceipt>> WatchAsync(Grpc.Net.Client.GrpcChannel channel)
    {
        var since = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1));
        var call = new V1.Proofs.ProofsClient(channel).WatchReceipts(new WatchReceiptsRequest { Since = since });
        try
        {
            Assert.True(await call.ResponseStream.MoveNext());
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Opens a watch as soon as the device has a slot free (polled; the bound only guards against a hang).</summary>
    private static async Task<AsyncServerStreamingCall<ProofReceipt>> WatchOnceFreeAsync(Grpc.Net.Client.GrpcChannel channel)
    {
        AsyncServerStreamingCall<ProofReceipt>? watch = null;
        await TestIntake.WaitUntilAsync(async () =>
        {
            try
            {
                watch = await WatchAsync(channel);
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), "a watch slot to be free");
        return watch!;
    }
}

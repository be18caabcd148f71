using Core.V1;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Forwarding;

/// <summary>Each lane fails and recovers on its own, and forwarders keep taking entries while the core fails.</summary>
[Collection(RedisCollection.Name)]
public sealed class LaneRecoveryTests(RedisServer redis)
{
    [Fact]
    public async Task ProofDeliveryFailing_ScansStillReachTheCore_ProofsOnceItRecovers()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var channel = host.Channel();
        var admin = await AdminAsync(host);
        await StartRouteAsync(channel);
        var photos = await UploadPhotosAsync(channel, 2, "lanes");
        await admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults { ErrorRate = 1, Targets = { "core.v1.Proofs" } } });

        var proofIds = Enumerable.Range(0, 20).Select(i => $"lane-proof-{i}").ToList();
        var proofs = new V1.Proofs.ProofsClient(channel);
        foreach (var id in proofIds)
        {
            await proofs.SubmitProofAsync(Proof(id, photos[id.Length % 2]));
        }

        var scanIds = Enumerable.Range(0, 300).Select(i => $"lane-scan-{i}").ToList();
        await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest { Events = { scanIds.Take(150).Select((id, i) => Scan(id, i)) } });
        await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest { Events = { scanIds.Skip(150).Select((id, i) => Scan(id, i)) } });

        // The proof lane's breaker is open; the scan lane's is not, so scans arrive while every proof call fails.
        await AssertCoreHasScansOnceAsync(admin, scanIds);
        Assert.Empty((await admin.ListProofsAsync(new Google.Protobuf.WellKnownTypes.Empty())).AcceptedProofIds);
        var breakers = host.Services.GetRequiredService<CoreBreakers>();
        Assert.Null(breakers.For(OutboxLane.Scans).OpenUntil);

        await admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults() });
        await AssertCoreHasProofsOnceAsync(admin, proofIds);
    }

    [Fact]
    public async Task CoreDown_ForwardersTakeAndParkEveryWaitingProof_AndDeliverThemOnItsReturn()
    {
        await using var host = await GatewayHost.StartAsync(redis: redis.ConnectionString, settings: FastForwarding());
        var channel = host.Channel();
        var admin = await AdminAsync(host);
        await StartRouteAsync(channel);
        var photos = await UploadPhotosAsync(channel, 2, "park");
        await SetCoreDownAsync(admin, down: true);

        var proofIds = Enumerable.Range(0, 40).Select(i => $"park-proof-{i}").ToList();
        var proofs = new V1.Proofs.ProofsClient(channel);
        foreach (var id in proofIds)
        {
            await proofs.SubmitProofAsync(Proof(id, photos[id.Length % 2]));
        }

        // Every entry is taken by some forwarder (pending in the consumer group), none left unread behind a held one.
        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var stream = host.Services.GetRequiredService<RedisKeys>().Outbox(OutboxLane.Proofs);
        await WaitUntilAsync(async () => (await db.StreamPendingAsync(stream, RedisKeys.ForwarderGroup)).PendingMessageCount == 40,
            what: "every proof entry to be taken while the core is down");
        var pending = await db.StreamPendingAsync(stream, RedisKeys.ForwarderGroup);

        await SetCoreDownAsync(admin, down: false);
        await AssertCoreHasProofsOnceAsync(admin, proofIds);
        Assert.True(pending.Consumers.Length > 1, "the proofs were spread over the lane's forwarders");
        Assert.All(pending.Consumers, c => Assert.StartsWith(Environment.MachineName, c.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReplicaKilledAndRestarted_DeliversWhatItsPreviousProcessHeld_WithoutWaitingForTheClaimTimeout()
    {
        var prefix = $"r{Guid.NewGuid():N}:";
        var corePort = FreePorts.Next();
        await using var core = await GatewayHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Edge:Core:EmbeddedPort"] = corePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The replica process below authenticates with the tests' core token; the simulator here checks that one.
            ["Edge:Core:AccessToken"] = TestTokens.CoreAccessToken,
        });
        var admin = await AdminAsync(core);
        var data = Directory.CreateTempSubdirectory("edge-replica-restart-").FullName;

        // The claim timeout is far longer than the test may wait: only the restarted replica itself can deliver in time.
        string[] args = [$"--Edge:RedisKeyPrefix={prefix}", "--Edge:ReplicaId=replica-a", $"--Edge:Core:Address=http://127.0.0.1:{corePort}",
            .. FastForwardingArgs(), "--Edge:Forwarding:ClaimTimeout=00:10:00"];
        var replica = await GatewayProcess.StartAsync(data, redis.ConnectionString, null, args);
        try
        {
            using var channel = TestChannels.Create(replica.Address, TestTokens.Mint("device-r"));
            await StartRouteAsync(channel);
            var photos = await UploadPhotosAsync(channel, 2, "restart");
            await SetCoreDownAsync(admin, down: true);
            var proofIds = Enumerable.Range(0, 30).Select(i => $"restart-proof-{i}").ToList();
            foreach (var id in proofIds)
            {
                await new V1.Proofs.ProofsClient(channel).SubmitProofAsync(Proof(id, photos[id.Length % 2]));
            }

            var scanIds = Enumerable.Range(0, 1000).Select(i => $"restart-scan-{i}").ToList();
            foreach (var chunk in scanIds.Chunk(250))
            {
                await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest { Events = { chunk.Select((id, i) => Scan(id, i)) } });
            }

            using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
            var keys = new RedisKeys(Options.Create(new EdgeOptions { RedisKeyPrefix = prefix }));
            await WaitUntilAsync(async () =>
                (await connection.GetDatabase().StreamPendingAsync(keys.Outbox(OutboxLane.Scans), RedisKeys.ForwarderGroup)).PendingMessageCount == 1000
                && (await connection.GetDatabase().StreamPendingAsync(keys.Outbox(OutboxLane.Proofs), RedisKeys.ForwarderGroup)).PendingMessageCount == 30,
                what: "the replica to hold every entry");

            replica.Kill();
            await replica.DisposeAsync();
            replica = await GatewayProcess.StartAsync(data, redis.ConnectionString, null, args);
            await SetCoreDownAsync(admin, down: false);

            await AssertCoreHasProofsOnceAsync(admin, proofIds, TimeSpan.FromSeconds(90));
            await AssertCoreHasScansOnceAsync(admin, scanIds, TimeSpan.FromSeconds(90));
            Assert.Contains("replica-a", replica.Output, StringComparison.Ordinal);
        }
        finally
        {
            await replica.DisposeAsync();
        }
    }
}

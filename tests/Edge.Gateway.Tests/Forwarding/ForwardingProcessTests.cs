using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Forwarding;

/// <summary>Forwarding across gateway processes: replicas sharing one Redis and one core, and a replica killed mid-flight.</summary>
[Collection(RedisCollection.Name)]
public sealed class ForwardingProcessTests(RedisServer redis)
{
    [Fact]
    public async Task SameScanBatchThreeTimes_ThroughTwoReplicas_CoreHasEachOnce()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("edge-scan-replicas-").FullName;
        var prefix = $"--Edge:RedisKeyPrefix=s{Guid.NewGuid():N}:";
        var corePort = FreePorts.Next();
        await using var a = await GatewayProcess.StartAsync(dataDirectory, redis.ConnectionString, null, [prefix, $"--Edge:Core:EmbeddedPort={corePort}", .. FastForwardingArgs()]);
        await using var b = await GatewayProcess.StartAsync(dataDirectory, redis.ConnectionString, null, [prefix, $"--Edge:Core:Address=http://127.0.0.1:{corePort}", .. FastForwardingArgs()]);
        using var channelA = TestChannels.Create(a.Address, TestTokens.Mint("device-s"));
        using var channelB = TestChannels.Create(b.Address, TestTokens.Mint("device-s"));
        var batch = new RecordScansRequest { Events = { Enumerable.Range(0, 200).Select(i => Scan($"thrice-{i}", i)) } };

        var answers = new List<RecordScansResponse>
        {
            await new V1.Scans.ScansClient(channelA).RecordScansAsync(batch),
            await new V1.Scans.ScansClient(channelB).RecordScansAsync(batch),
            await new V1.Scans.ScansClient(channelA).RecordScansAsync(batch),
        };

        Assert.All(answers[0].Results, r => Assert.Equal(ScanResult.Types.Outcome.Accepted, r.Outcome));
        Assert.All(answers.Skip(1).SelectMany(r => r.Results), r => Assert.Equal(ScanResult.Types.Outcome.Duplicate, r.Outcome));
        await AssertCoreHasScansOnceAsync(Admin(corePort), batch.Events.Select(e => e.EventId).ToList());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GatewayKilledMidForwarding_EverythingArrivesOnce(bool useRedis)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("edge-kill-").FullName;
        var corePort = FreePorts.Next();
        var prefix = $"--Edge:RedisKeyPrefix=k{Guid.NewGuid():N}:";
        string[] common = [prefix, .. FastForwardingArgs()];

        // Redis mode: the survivor hosts the core and takes over what the killed replica held. Embedded mode: one
        // process hosts the core; it is killed and started again on the same data directory.
        GatewayProcess? survivor = useRedis
            ? await GatewayProcess.StartAsync(Path.Combine(dataDirectory), redis.ConnectionString, null, [.. common, $"--Edge:Core:EmbeddedPort={corePort}", "--Edge:Forwarding:ScanWorkers=1", "--Edge:Forwarding:ProofWorkers=1"])
            : null;
        string[] victimArgs = useRedis ? [.. common, $"--Edge:Core:Address=http://127.0.0.1:{corePort}"] : [.. common, $"--Edge:Core:EmbeddedPort={corePort}"];
        var victim = await GatewayProcess.StartAsync(dataDirectory, useRedis ? redis.ConnectionString : null, null, victimArgs);
        try
        {
            var admin = Admin(corePort);
            using var channel = TestChannels.Create(victim.Address, TestTokens.Mint("device-k"));
            await StartRouteAsync(channel);
            var photos = await UploadPhotosAsync(channel, 3, "kill");

            // A slow core keeps entries in flight when the victim dies.
            await admin.SetFaultsAsync(new global::Core.V1.SetFaultsRequest
            {
                Faults = new global::Core.V1.Faults { Latency = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMilliseconds(40)) },
            });
            var proofIds = Enumerable.Range(0, 60).Select(i => $"kill-proof-{i}").ToList();
            var proofs = new V1.Proofs.ProofsClient(channel);
            foreach (var id in proofIds)
            {
                await proofs.SubmitProofAsync(Proof(id, photos[id.Length % 3]));
            }

            var scanIds = Enumerable.Range(0, 3000).Select(i => $"kill-scan-{i}").ToList();
            foreach (var chunk in scanIds.Chunk(100))
            {
                await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest { Events = { chunk.Select((id, i) => Scan(id, i)) } });
            }

            await WaitUntilAsync(async () => (await admin.ListProofsAsync(new Google.Protobuf.WellKnownTypes.Empty())).AcceptedProofIds.Count > 0,
                what: "forwarding to start");
            victim.Kill();
            if (!useRedis)
            {
                await victim.DisposeAsync();
                victim = await GatewayProcess.StartAsync(dataDirectory, null, null, victimArgs);
                admin = Admin(corePort);
            }

            await admin.SetFaultsAsync(new global::Core.V1.SetFaultsRequest { Faults = new global::Core.V1.Faults() });
            await AssertCoreHasProofsOnceAsync(admin, proofIds);
            await AssertCoreHasScansOnceAsync(admin, scanIds);
        }
        finally
        {
            await victim.DisposeAsync();
            if (survivor is not null)
            {
                await survivor.DisposeAsync();
            }
        }
    }
}

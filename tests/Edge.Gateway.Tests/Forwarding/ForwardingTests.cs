using System.Collections.Concurrent;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Forwarding;

[Collection(RedisCollection.Name)]
public sealed class ForwardingTests(RedisServer redis)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CoreDown_ProofsAndScansArrive_ExactlyOnceAfterItReturns(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var channel = host.Channel();
        var admin = await AdminAsync(host);
        await StartRouteAsync(channel); // the device fetched its manifest at the start of its route
        var photos = await UploadPhotosAsync(channel, 10, "outage");
        await SetCoreDownAsync(admin, down: true);

        var proofsClient = new V1.Proofs.ProofsClient(channel);
        using var watch = proofsClient.WatchReceipts(new WatchReceiptsRequest());
        await watch.ResponseHeadersAsync;
        var seen = new ConcurrentDictionary<string, List<ProofStatus>>();
        var committed = 0;
        var watcher = Task.Run(async () =>
        {
            while (await watch.ResponseStream.MoveNext(CancellationToken.None))
            {
                var receipt = watch.ResponseStream.Current;
                seen.GetOrAdd(receipt.ProofId, _ => []).Add(receipt.Status);
                if (receipt.Status == ProofStatus.Committed && Interlocked.Increment(ref committed) == 500)
                {
                    return;
                }
            }
        });

        var proofIds = Enumerable.Range(0, 500).Select(i => $"outage-proof-{i}").ToList();
        await Parallel.ForEachAsync(proofIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
        {
            var index = int.Parse(id[(id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            var receipt = await proofsClient.SubmitProofAsync(Proof(id, photos[index % photos.Length], photos[(index + 1) % photos.Length]), cancellationToken: ct);
            Assert.Equal(ProofStatus.Received, receipt.Status);
        });
        var scanIds = Enumerable.Range(0, 5000).Select(i => $"outage-scan-{i}").ToList();
        var scans = new V1.Scans.ScansClient(channel);
        await Parallel.ForEachAsync(scanIds.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
        {
            var response = await scans.RecordScansAsync(new RecordScansRequest { Events = { chunk.Select((id, i) => Scan(id, i)) } }, cancellationToken: ct);
            Assert.All(response.Results, r => Assert.Equal(ScanResult.Types.Outcome.Accepted, r.Outcome));
        });
        Assert.Empty((await admin.ListProofsAsync(new Google.Protobuf.WellKnownTypes.Empty())).AcceptedProofIds);

        await SetCoreDownAsync(admin, down: false);

        await watcher.WaitAsync(TimeSpan.FromSeconds(90));
        await AssertCoreHasProofsOnceAsync(admin, proofIds);
        await AssertCoreHasScansOnceAsync(admin, scanIds);
        Assert.All(proofIds, id => Assert.Equal([ProofStatus.Received, ProofStatus.Committed], seen[id]));
    }
}

using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Xunit.Abstractions;

namespace Edge.Gateway.Tests.Manifests;

/// <summary>
/// Two gateway processes on one Redis, one data directory and one core: the replicas share the cache, a cold route
/// costs the core at most one call per replica (in practice one), and a published version reaches both.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ManifestProcessTests(RedisServer redis, ITestOutputHelper output)
{
    [Fact]
    public async Task GetManifest_ManyConcurrentCallersOnTwoColdReplicas_CoreAskedAtMostTwice()
    {
        await using var replicas = await Replicas.StartAsync(redis);
        using var admin = new CoreAdmin(replicas.CoreAddress);
        var (clientA, clientB) = replicas.Clients("R-0011");
        var clients = new[] { clientA, clientB };
        var before = await admin.ManifestCallsAsync("R-0011");

        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await clients[i % 2].GetManifestAsync(new GetManifestRequest { RouteId = "R-0011" });
        })).ToArray();
        start.Set();
        var answers = await Task.WhenAll(calls);
        var coreCalls = await admin.ManifestCallsAsync("R-0011") - before;

        output.WriteLine($"core calls for 200 cold GetManifest on two replicas: {coreCalls}");
        Assert.All(answers, a => Assert.Equal(120, a.Manifest.Stops.Count));
        Assert.Single(answers.Select(a => a.Version).Distinct());
        Assert.InRange(coreCalls, 1, 2);
    }

    [Fact]
    public async Task WatchManifest_VersionPublishedAtTheCore_ReachesEachReplica()
    {
        await using var replicas = await Replicas.StartAsync(redis);
        using var admin = new CoreAdmin(replicas.CoreAddress);
        var (clientA, clientB) = replicas.Clients("R-0012");
        var current = await clientA.GetManifestAsync(new GetManifestRequest { RouteId = "R-0012" });
        await clientB.GetManifestAsync(new GetManifestRequest { RouteId = "R-0012" });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watchA = clientA.WatchManifest(new WatchManifestRequest { RouteId = "R-0012", KnownVersion = current.Version }, cancellationToken: timeout.Token);
        using var watchB = clientB.WatchManifest(new WatchManifestRequest { RouteId = "R-0012", KnownVersion = current.Version }, cancellationToken: timeout.Token);
        await watchA.ResponseHeadersAsync;
        await watchB.ResponseHeadersAsync;

        var published = await admin.PublishAsync("R-0012");
        Assert.True(await watchA.ResponseStream.MoveNext(timeout.Token));
        Assert.True(await watchB.ResponseStream.MoveNext(timeout.Token));
        var onA = await clientA.GetManifestAsync(new GetManifestRequest { RouteId = "R-0012", KnownVersion = current.Version });
        var onB = await clientB.GetManifestAsync(new GetManifestRequest { RouteId = "R-0012", KnownVersion = current.Version });

        Assert.Equal(published, watchA.ResponseStream.Current.Version);
        Assert.Equal(published, watchB.ResponseStream.Current.Version);
        Assert.Equal(watchA.ResponseStream.Current.Manifest, watchB.ResponseStream.Current.Manifest);
        Assert.Equal(published, onA.Version);
        Assert.Equal(published, onB.Version);
    }

    /// <summary>
    /// Two replicas on one Redis key prefix and data directory. They share one core: the first hosts the simulator
    /// on a known port, the second is pointed at it.
    /// </summary>
    private sealed class Replicas : IAsyncDisposable
    {
        private readonly List<Grpc.Net.Client.GrpcChannel> _channels = [];

        private Replicas(GatewayProcess a, GatewayProcess b, Uri coreAddress)
        {
            A = a;
            B = b;
            CoreAddress = coreAddress;
        }

        public GatewayProcess A { get; }

        public GatewayProcess B { get; }

        public Uri CoreAddress { get; }

        public static async Task<Replicas> StartAsync(RedisServer redis)
        {
            var data = Directory.CreateTempSubdirectory("edge-manifest-replicas-").FullName;
            var prefix = $"--Edge:RedisKeyPrefix=m{Guid.NewGuid():N}:";
            var corePort = FreePorts.Next();
            var a = await GatewayProcess.StartAsync(data, redis.ConnectionString, null, prefix, $"--Edge:Core:EmbeddedPort={corePort}");
            var b = await GatewayProcess.StartAsync(data, redis.ConnectionString, null, prefix, $"--Edge:Core:Address=http://127.0.0.1:{corePort}");
            return new Replicas(a, b, new Uri($"http://127.0.0.1:{corePort}"));
        }

        /// <summary>A client on each replica, for a device whose token names <paramref name="routeId"/>.</summary>
        public (V1.Manifests.ManifestsClient A, V1.Manifests.ManifestsClient B) Clients(string routeId)
        {
            var a = TestChannels.Create(A.Address, TestTokens.Mint("device-a", [routeId]));
            var b = TestChannels.Create(B.Address, TestTokens.Mint("device-b", [routeId]));
            _channels.AddRange([a, b]);
            return (new V1.Manifests.ManifestsClient(a), new V1.Manifests.ManifestsClient(b));
        }

        public async ValueTask DisposeAsync()
        {
            _channels.ForEach(c => c.Dispose());
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }
}

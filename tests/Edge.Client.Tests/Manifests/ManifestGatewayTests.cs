using Core.V1;
using Edge.Client.Tests.Infrastructure;
using Grpc.Net.Client;

namespace Edge.Client.Tests.Manifests;

/// <summary>Route manifests through the SDK against the real gateway process and the core simulator behind it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ManifestGatewayTests(GatewayFixture gateway)
{
    private const string Route = "R-0001";

    [Fact]
    public async Task GetManifest_VersionAlreadyHeld_GatewayAnswersNotModified()
    {
        await using var proxy = new FaultyProxy(gateway.Address);
        await using var client = new EdgeClient(TestClients.Options(proxy.Address, deviceId: "sdk-e2e-manifest"));
        var first = await client.GetManifestAsync(Route);
        var wholeManifest = await WholeManifestBytesAsync();

        var before = proxy.DownstreamBytes;
        var again = await client.GetManifestAsync(Route);
        var answered = proxy.DownstreamBytes - before;

        Assert.Equal(first.Version, again.Version);
        Assert.False(again.IsStale);
        Assert.Equal(first.Stops.Select(s => s.StopId), again.Stops.Select(s => s.StopId));
        Assert.True(answered < wholeManifest, $"{answered} bytes came back for a manifest of {wholeManifest} bytes");
    }

    [Fact]
    public async Task WatchManifest_LinkCutThenVersionPublished_ReconnectsAndSeesIt()
    {
        await using var proxy = new FaultyProxy(gateway.Address);
        await using var client = new EdgeClient(TestClients.Options(proxy.Address, deviceId: "sdk-e2e-watch"));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var watch = client.WatchManifestAsync(Route, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await watch.MoveNextAsync());
        var held = watch.Current.Version;

        // The watch waits for the next version while the link is cut under it.
        var connections = proxy.Connections;
        var next = watch.MoveNextAsync();
        proxy.CutAll();
        await Eventually.TrueAsync(() => proxy.Connections > connections, "the watch reconnected");
        var published = await gateway.CoreAdmin.PublishManifestAsync(new PublishManifestRequest { RouteId = Route });
        Assert.True(published.Manifest.Version > held);

        Assert.True(await next);
        while (watch.Current.Version < published.Manifest.Version)
        {
            Assert.True(await watch.MoveNextAsync());
        }

        Assert.Equal(published.Manifest.Version, watch.Current.Version);
        Assert.Equal(published.Manifest.Stops.Select(s => s.StopId), watch.Current.Stops.Select(s => s.StopId));
    }

    /// <summary>What the whole manifest weighs on the wire, asked without a known version.</summary>
    private async Task<int> WholeManifestBytesAsync()
    {
        using var channel = GrpcChannel.ForAddress(gateway.Address);
        var manifests = new Edge.V1.Manifests.ManifestsClient(channel);
        var response = await manifests.GetManifestAsync(new Edge.V1.GetManifestRequest { RouteId = Route },
            new Grpc.Core.Metadata { { "authorization", "Bearer " + TestTokens.Mint("sdk-e2e-manifest") } });
        return response.CalculateSize();
    }
}

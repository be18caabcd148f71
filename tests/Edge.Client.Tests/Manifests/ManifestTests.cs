using Edge.Client.Tests.Infrastructure;

namespace Edge.Client.Tests.Manifests;

/// <summary>The manifest cache and watch against a fake of edge.v1.Manifests over real HTTP/2.</summary>
public sealed class ManifestTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task GetManifest_Cached_AsksWithKnownVersionAndServesCopyOffline()
    {
        _gateway.State.Publish(Manifest(version: 3));
        var outbox = TestClients.NewDirectory("edge-outbox-manifest-");
        await using var proxy = new FaultyProxy(_gateway.Address);
        await using (var client = new EdgeClient(TestClients.Options(proxy.Address, outbox)))
        {
            var first = await client.GetManifestAsync("R-0001");
            var second = await client.GetManifestAsync("R-0001");

            Assert.Equal(3, first.Version);
            var stop = Assert.Single(first.Stops);
            Assert.Equal("Unter den Linden 1", stop.Address.Line1);
            Assert.Equal("P-1", Assert.Single(stop.Packages).PackageId);
            Assert.True(stop.PhotoOptOut);
            Assert.Equal(3, second.Version);
            Assert.False(second.IsStale);
            Assert.Equal([0L, 3L], _gateway.State.ManifestKnownVersions);
        }

        proxy.Refusing = true;
        await using var offline = new EdgeClient(TestClients.Options(proxy.Address, outbox));
        var cached = await offline.GetManifestAsync("R-0001");
        Assert.Equal(3, cached.Version);
        Assert.True(cached.IsStale);
    }

    [Fact]
    public async Task WatchManifest_StreamBroken_ReconnectsFromNewestVersion()
    {
        _gateway.State.Publish(Manifest(version: 1));
        _gateway.State.BreakWatchAfterOne = true;
        await using var client = new EdgeClient(TestClients.Options(_gateway.Address));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<long>();

        await foreach (var manifest in client.WatchManifestAsync("R-0001", stop.Token))
        {
            seen.Add(manifest.Version);
            if (manifest.Version == 1)
            {
                _gateway.State.Publish(Manifest(version: 2));
            }
            else
            {
                break;
            }
        }

        Assert.Equal([1L, 2L], seen);
        Assert.Equal([0L, 1L], _gateway.State.ManifestKnownVersions.Take(2));
    }

    private static V1.RouteManifest Manifest(long version) => new()
    {
        RouteId = "R-0001",
        Version = version,
        DriverId = "driver-1",
        Stops =
        {
            new V1.Stop
            {
                StopId = "S-01",
                Sequence = 1,
                Address = new V1.Address { Line1 = "Unter den Linden 1", City = "Berlin", CountryCode = "DE" },
                Packages = { new V1.Package { PackageId = "P-1", Barcode = "PKG-0001" } },
                PhotoOptOut = true,
            },
        },
    };
}

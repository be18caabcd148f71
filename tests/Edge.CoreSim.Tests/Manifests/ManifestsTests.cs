using Core.V1;
using Grpc.Core;

namespace Edge.CoreSim.Tests.Manifests;

public sealed class ManifestsTests : CoreSimTest
{
    private readonly TempDirectory _otherData = new();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _otherData.Dispose();
        }

        base.Dispose(disposing);
    }

    [Fact]
    public async Task GetManifest_SameSeed_SameManifest()
    {
        await using var core = await StartCoreAsync(o => o.Seed = 7);
        await using var twin = await CoreSimHost.StartAsync(_otherData.Path, o => o.Seed = 7);
        var request = new GetRouteManifestRequest { RouteId = "R-0003" };

        var manifest = await core.Manifests.GetManifestAsync(request);
        var again = await twin.Manifests.GetManifestAsync(request);

        Assert.Equal(manifest, again);
        Assert.Equal(1, manifest.Version);
        Assert.Equal(20, manifest.Stops.Count);
        Assert.Equal(Enumerable.Range(1, 20), manifest.Stops.Select(s => s.Sequence));
        Assert.All(manifest.Stops, stop => Assert.NotEmpty(stop.Packages));
        Assert.Equal(manifest.Stops.Count, manifest.Stops.Select(s => s.StopId).Distinct().Count());
    }

    [Fact]
    public async Task GetManifest_OtherSeedOrRoute_DifferentManifest()
    {
        await using var core = await StartCoreAsync(o => o.Seed = 7);
        await using var other = await CoreSimHost.StartAsync(_otherData.Path, o => o.Seed = 8);

        var manifest = await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0003" });
        var otherSeed = await other.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0003" });
        var otherRoute = await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0004" });

        Assert.NotEqual(manifest.Stops, otherSeed.Stops);
        Assert.NotEqual(manifest.Stops[0].Address, otherRoute.Stops[0].Address);
    }

    [Fact]
    public async Task GetManifest_UnknownRoute_NotFoundAndCounted()
    {
        await using var core = await StartCoreAsync(o => o.RouteCount = 5);

        await TestData.ThrowsRpcAsync(StatusCode.NotFound, () => core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0006" }).ResponseAsync);
        await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0005" });
        await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0005" });

        var counters = await core.Admin.GetCountersAsync(new());
        Assert.Equal(2, counters.ManifestCalls["R-0005"]);
        Assert.Equal(1, counters.ManifestCalls["R-0006"]);
    }

    [Fact]
    public async Task PublishManifest_NewVersion_ReachesWatcherAndGetManifest()
    {
        await using var core = await StartCoreAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var watch = core.Manifests.WatchManifestVersions(
            new WatchManifestVersionsRequest { RouteIds = { "R-0002" }, IncludeCurrent = true }, cancellationToken: timeout.Token);

        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(new ManifestVersionChanged { RouteId = "R-0002", Version = 1, Current = true }, watch.ResponseStream.Current);

        await core.Admin.PublishManifestAsync(new PublishManifestRequest { RouteId = "R-0009" });
        var published = await core.Admin.PublishManifestAsync(new PublishManifestRequest { RouteId = "R-0002" });

        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
        var change = watch.ResponseStream.Current;
        Assert.Equal(("R-0002", 2L, false), (change.RouteId, change.Version, change.Current));
        Assert.NotNull(change.PublishedAt);
        Assert.Equal(published.Manifest, await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0002" }));
        Assert.Equal(1, (await core.Admin.GetCountersAsync(new())).ManifestWatchers);
    }

    [Fact]
    public async Task Stop_WithOpenWatcher_EndsStreamPromptly()
    {
        var core = await StartCoreAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var watch = core.Manifests.WatchManifestVersions(
            new WatchManifestVersionsRequest { RouteIds = { "R-0001" }, IncludeCurrent = true }, cancellationToken: timeout.Token);
        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await core.DisposeAsync();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task PublishManifest_WithoutBody_SameSeedSameNextVersion()
    {
        await using var core = await StartCoreAsync();
        await using var twin = await CoreSimHost.StartAsync(_otherData.Path);
        var request = new PublishManifestRequest { RouteId = "R-0003" };

        for (var i = 0; i < 4; i++)
        {
            var published = await core.Admin.PublishManifestAsync(request);
            var twinPublished = await twin.Admin.PublishManifestAsync(request);
            Assert.Equal(published.Manifest, twinPublished.Manifest);
        }

        var manifest = await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0003" });
        Assert.Equal(5, manifest.Version);
        Assert.Equal(Enumerable.Range(1, manifest.Stops.Count), manifest.Stops.Select(s => s.Sequence));
    }

    [Fact]
    public async Task PublishManifest_ExplicitManifest_ServedWithNextVersion()
    {
        await using var core = await StartCoreAsync();
        var manifest = new RouteManifest
        {
            DriverId = "DRV-1",
            Stops = { new Stop { StopId = "X-1", Sequence = 1, Packages = { new Package { PackageId = "PKG-1", Barcode = "B1" } } } },
        };

        var published = await core.Admin.PublishManifestAsync(new PublishManifestRequest { RouteId = "X-ROUTE", Manifest = manifest });

        Assert.Equal(("X-ROUTE", 1L), (published.Manifest.RouteId, published.Manifest.Version));
        var served = await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "X-ROUTE" });
        Assert.Equal("X-1", Assert.Single(served.Stops).StopId);
    }
}

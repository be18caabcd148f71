using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Edge.Gateway.Tests.Manifests;

/// <summary>edge.v1.Manifests over real HTTP/2 against an in-process gateway and its core simulator, in both state modes.</summary>
[Collection(RedisCollection.Name)]
public sealed class ManifestTests(RedisServer redis)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetManifest_KnownVersionIsCurrent_ReturnsNotModifiedWithoutBody(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null);
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0001"]));

        var first = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" });
        var again = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001", KnownVersion = first.Version });
        var older = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001", KnownVersion = first.Version - 1 });

        Assert.False(first.NotModified);
        Assert.Equal("R-0001", first.Manifest.RouteId);
        Assert.Equal(120, first.Manifest.Stops.Count);
        Assert.Equal(first.Version, first.Manifest.Version);
        Assert.True(again.NotModified);
        Assert.Null(again.Manifest);
        Assert.Equal(first.Version, again.Version);
        Assert.False(again.Stale);
        Assert.False(older.NotModified);
        Assert.Equal(first.Manifest, older.Manifest);
    }

    [Fact]
    public async Task GetManifest_RedisMode_CachesInRedisAndKeepsLastKnownGood()
    {
        await using var host = await GatewayHost.StartAsync(redis: redis.ConnectionString);
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0003"]));
        var prefix = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Gateway.Hosting.EdgeOptions>>().Value.RedisKeyPrefix;

        var answer = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0003" });
        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var cached = await PollAsync(() => db.KeyExistsAsync(prefix + "cache:manifest:R-0003"), exists => exists);
        var kept = await db.HashGetAsync(prefix + "manifest:good:R-0003", "version");

        Assert.True(cached);
        Assert.Equal(answer.Version, (long)kept);
    }

    [Fact]
    public async Task GetManifest_RouteNotInToken_PermissionDenied()
    {
        await using var host = await GatewayHost.StartAsync();
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0001"]));

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0002" }).ResponseAsync);
        var watchError = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var watch = client.WatchManifest(new WatchManifestRequest { RouteId = "R-0002" });
            await watch.ResponseStream.MoveNext();
        });

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, watchError.StatusCode);
    }

    [Fact]
    public async Task GetManifest_RouteTheCoreDoesNotHave_NotFound()
    {
        await using var host = await GatewayHost.StartAsync();
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-9999"]));

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetManifestAsync(new GetManifestRequest { RouteId = "R-9999" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetManifest_CoreDown_ServesLastKnownGoodMarkedStale(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null,
            settings: new Dictionary<string, string?> { ["Edge:Manifests:Ttl"] = "00:00:01" });
        using var admin = await CoreAdmin.ForAsync(host);
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0004"]));
        var fresh = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0004" });

        await admin.DownAsync(TimeSpan.FromMinutes(5));
        try
        {
            // Once the cached copy's TTL has run out the gateway must ask the core, which is down.
            var stale = await PollAsync(() => client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0004" }).ResponseAsync, r => r.Stale);
            var staleNotModified = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0004", KnownVersion = fresh.Version });

            Assert.False(fresh.Stale);
            Assert.True(stale.Stale);
            Assert.Equal(fresh.Manifest, stale.Manifest);
            Assert.Equal(fresh.FetchedAt, stale.FetchedAt);
            Assert.True(staleNotModified.NotModified);
            Assert.True(staleNotModified.Stale);
        }
        finally
        {
            await admin.ClearFaultsAsync();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetManifest_CoreDownAndRouteNeverFetched_UnavailableWithRetryInfo(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null);
        using var admin = await CoreAdmin.ForAsync(host);
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0005"]));
        await admin.DownAsync(TimeSpan.FromMinutes(5));

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0005" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var retry = error.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.ToTimeSpan() > TimeSpan.Zero);
    }

    [Fact]
    public async Task GetManifest_LastKnownGood_SurvivesRestartWhileCoreIsDown()
    {
        // Embedded mode: the last known good copy lives in SQLite, so a restarted node serves it (stale) at once.
        var data = Directory.CreateTempSubdirectory("edge-manifest-restart-").FullName;
        GetManifestResponse fresh;
        await using (var first = await GatewayHost.StartAsync(dataDirectory: data))
        {
            fresh = await new V1.Manifests.ManifestsClient(first.Channel(routes: ["R-0006"])).GetManifestAsync(new GetManifestRequest { RouteId = "R-0006" });
        }

        await using var second = await GatewayHost.StartAsync(dataDirectory: data, settings: new Dictionary<string, string?> { ["Edge:Manifests:Ttl"] = "00:00:01" });
        using var admin = await CoreAdmin.ForAsync(second);
        await admin.DownAsync(TimeSpan.FromMinutes(5));
        var client = new V1.Manifests.ManifestsClient(second.Channel(routes: ["R-0006"]));

        var stale = await PollAsync(() => client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0006" }).ResponseAsync, r => r.Stale);

        Assert.Equal(fresh.Manifest, stale.Manifest);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WatchManifest_NewVersionPublished_IsPushed(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null);
        using var admin = await CoreAdmin.ForAsync(host);
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0008"]));
        var current = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0008" });
        using var timeout = new CancellationTokenSource(Bound);
        using var watch = client.WatchManifest(new WatchManifestRequest { RouteId = "R-0008", KnownVersion = current.Version }, cancellationToken: timeout.Token);
        await watch.ResponseHeadersAsync;

        var published = await admin.PublishAsync("R-0008");
        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
        var pushed = watch.ResponseStream.Current;
        var fetched = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0008", KnownVersion = current.Version });

        Assert.Equal(current.Version + 1, published);
        Assert.Equal(published, pushed.Version);
        Assert.Equal(published, pushed.Manifest.Version);
        Assert.False(pushed.NotModified);
        Assert.Equal(published, fetched.Version);
    }

    [Fact]
    public async Task WatchManifest_DeviceBehind_GetsCurrentVersionFirst()
    {
        await using var host = await GatewayHost.StartAsync();
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0009"]));
        using var timeout = new CancellationTokenSource(Bound);
        using var watch = client.WatchManifest(new WatchManifestRequest { RouteId = "R-0009" }, cancellationToken: timeout.Token);

        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(1, watch.ResponseStream.Current.Version);
        Assert.Equal("R-0009", watch.ResponseStream.Current.Manifest.RouteId);
    }

    internal static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}

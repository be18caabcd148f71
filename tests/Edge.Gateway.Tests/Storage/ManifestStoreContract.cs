using Edge.Gateway.Manifests;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>One contract for the last known good manifests and the fetch lock (IManifestStore), on SQLite and Redis.</summary>
public abstract class ManifestStoreContract : IDisposable
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    internal abstract IManifestStore Store { get; }

    /// <summary>True when the fetch lock is held against other replicas (Redis); embedded mode has one node and no lock.</summary>
    protected abstract bool LocksAcrossReplicas { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static ManifestEntry Entry(string routeId, long version, int stops = 1)
    {
        var manifest = new RouteManifest { RouteId = routeId, Version = version };
        for (var i = 1; i <= stops; i++)
        {
            manifest.Stops.Add(new Stop { StopId = $"S-{i}", Sequence = i });
        }

        return new ManifestEntry(manifest, T0, ManifestOrigin.Fetched);
    }

    [Fact]
    public async Task GetLastGood_NeverSaved_IsNull()
        => Assert.Null(await Store.GetLastGoodAsync("R-1", default));

    [Fact]
    public async Task SaveLastGood_ThenGet_GivesTheSameManifest()
    {
        var entry = Entry("R-1", 3, stops: 2);

        await Store.SaveLastGoodAsync(entry, default);
        var kept = await Store.GetLastGoodAsync("R-1", default);

        Assert.NotNull(kept);
        Assert.Equal(entry.Stored, kept.Stored);
        Assert.Null(await Store.GetLastGoodAsync("R-2", default));
    }

    [Fact]
    public async Task SaveLastGood_OlderVersion_KeepsTheNewer()
    {
        await Store.SaveLastGoodAsync(Entry("R-1", 5), default);
        await Store.SaveLastGoodAsync(Entry("R-1", 4), default);
        var newer = (await Store.GetLastGoodAsync("R-1", default))?.Version;
        await Store.SaveLastGoodAsync(Entry("R-1", 6), default);

        Assert.Equal(5, newer);
        Assert.Equal(6, (await Store.GetLastGoodAsync("R-1", default))?.Version);
    }

    [Fact]
    public async Task TryLockFetch_HeldLock_ShutsOutOthersOnlyWhereReplicasShareRoutes()
    {
        var first = await Store.TryLockFetchAsync("R-1", TimeSpan.FromMinutes(1), default);
        var whileHeld = await Store.TryLockFetchAsync("R-1", TimeSpan.FromMinutes(1), default);
        var otherRoute = await Store.TryLockFetchAsync("R-2", TimeSpan.FromMinutes(1), default);
        await first!.DisposeAsync();
        var afterRelease = await Store.TryLockFetchAsync("R-1", TimeSpan.FromMinutes(1), default);

        Assert.Equal(LocksAcrossReplicas, whileHeld is null);
        Assert.NotNull(otherRoute);
        Assert.NotNull(afterRelease);
    }
}

public sealed class SqliteManifestStoreTests : ManifestStoreContract
{
    private readonly SqliteBackend _backend = new(new FakeTimeProvider(T0));

    public SqliteManifestStoreTests() => Store = new SqliteManifestStore(_backend.Database);

    internal override IManifestStore Store { get; }

    protected override bool LocksAcrossReplicas => false;

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisManifestStoreTests : ManifestStoreContract
{
    private readonly RedisBackend _backend;

    public RedisManifestStoreTests(RedisServer server)
    {
        _backend = new RedisBackend(server, new FakeTimeProvider(T0));
        Store = new RedisManifestStore(_backend.Redis, _backend.Edge, Options.Create(new ManifestOptions()));
    }

    internal override IManifestStore Store { get; }

    protected override bool LocksAcrossReplicas => true;

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Manifests;

/// <summary>
/// Redis mode: each route's last known good manifest in a hash (<c>{prefix}manifest:good:{route}</c>: version and
/// bytes, written only forward), and a fetch lock per route (<c>{prefix}manifest:fetch:{route}</c>, SET NX PX with a
/// random token) so that replicas missing the same route at once make one core call between them.
/// </summary>
internal sealed class RedisManifestStore(IConnectionMultiplexer redis, IOptions<EdgeOptions> edge, IOptions<ManifestOptions> options) : IManifestStore
{
    // Keeps the higher version: a slow fetch that returns an older version never overwrites a newer one.
    private static readonly LuaScript SaveForward = LuaScript.Prepare("""
        local current = redis.call('HGET', @key, 'version')
        if current and tonumber(current) > tonumber(@version) then return 0 end
        redis.call('HSET', @key, 'version', @version, 'manifest', @manifest)
        redis.call('PEXPIRE', @key, @retentionMs)
        return 1
        """);

    private readonly string _prefix = edge.Value.RedisKeyPrefix + "manifest:";
    private readonly long _retentionMs = (long)options.Value.LastGoodRetention.TotalMilliseconds;

    private IDatabase Db => redis.GetDatabase();

    public async ValueTask<ManifestEntry?> GetLastGoodAsync(string routeId, CancellationToken cancellationToken)
    {
        var value = await Db.HashGetAsync(GoodKey(routeId), "manifest");
        return value.IsNullOrEmpty ? null : ManifestEntry.Parse((byte[])value!, ManifestOrigin.Fetched);
    }

    public async ValueTask SaveLastGoodAsync(ManifestEntry entry, CancellationToken cancellationToken)
        => await Db.ScriptEvaluateAsync(SaveForward, new
        {
            key = GoodKey(entry.RouteId),
            version = entry.Version,
            manifest = entry.ToBytes(),
            retentionMs = _retentionMs,
        });

    public async ValueTask<IAsyncDisposable?> TryLockFetchAsync(string routeId, TimeSpan hold, CancellationToken cancellationToken)
    {
        var key = FetchLockKey(routeId);
        var token = Guid.NewGuid().ToString("N");
        return await Db.LockTakeAsync(key, token, hold) ? new Lease(Db, key, token) : null;
    }

    private RedisKey GoodKey(string routeId) => _prefix + "good:" + routeId;

    private RedisKey FetchLockKey(string routeId) => _prefix + "fetch:" + routeId;

    private sealed class Lease(IDatabase db, RedisKey key, string token) : IAsyncDisposable
    {
        // Deletes the key only while it still holds this token: an expired lease never frees a successor's lock.
        public async ValueTask DisposeAsync() => await db.LockReleaseAsync(key, token);
    }
}

using Edge.Gateway.Storage.Sqlite;

namespace Edge.Gateway.Manifests;

/// <summary>
/// Embedded mode: last known good manifests in the gateway's SQLite file. One node, so fetches need no lock beyond
/// the cache's own stampede protection.
/// </summary>
internal sealed class SqliteManifestStore(SqliteDatabase database) : IManifestStore
{
    private static readonly IAsyncDisposable NoLock = new Unlocked();

    private readonly SqliteDatabase _database = database;

    public async ValueTask<ManifestEntry?> GetLastGoodAsync(string routeId, CancellationToken cancellationToken)
    {
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest FROM manifests_last_good WHERE route_id = $route";
        command.Parameters.AddWithValue("$route", routeId);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] bytes ? ManifestEntry.Parse(bytes, ManifestOrigin.Fetched) : null;
    }

    public async ValueTask SaveLastGoodAsync(ManifestEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO manifests_last_good (route_id, version, manifest, fetched_ms) VALUES ($route, $version, $manifest, $fetched)
            ON CONFLICT (route_id) DO UPDATE SET version = excluded.version, manifest = excluded.manifest, fetched_ms = excluded.fetched_ms
            WHERE excluded.version >= manifests_last_good.version
            """;
        command.Parameters.AddWithValue("$route", entry.RouteId);
        command.Parameters.AddWithValue("$version", entry.Version);
        command.Parameters.AddWithValue("$manifest", entry.ToBytes());
        command.Parameters.AddWithValue("$fetched", entry.FetchedAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask<IAsyncDisposable?> TryLockFetchAsync(string routeId, TimeSpan hold, CancellationToken cancellationToken)
        => ValueTask.FromResult<IAsyncDisposable?>(NoLock);

    private sealed class Unlocked : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

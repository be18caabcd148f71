namespace Edge.Gateway.Manifests;

/// <summary>
/// Where the last known good manifest of each route outlives the caches and restarts (served, marked stale, while
/// the core cannot be reached), and how replicas agree on who fetches a route from the core.
/// </summary>
internal interface IManifestStore
{
    ValueTask<ManifestEntry?> GetLastGoodAsync(string routeId, CancellationToken cancellationToken);

    /// <summary>Keeps <paramref name="entry"/> unless a newer version is already kept.</summary>
    ValueTask SaveLastGoodAsync(ManifestEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// The right to fetch <paramref name="routeId"/> from the core for up to <paramref name="hold"/>, or null while
    /// another replica holds it. Dispose to give it back.
    /// </summary>
    ValueTask<IAsyncDisposable?> TryLockFetchAsync(string routeId, TimeSpan hold, CancellationToken cancellationToken);
}

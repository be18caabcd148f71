using Edge.Gateway.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Manifests;

/// <summary>A manifest as served, and whether it is the last known good one because the core could not be reached.</summary>
internal readonly record struct ManifestLookup(ManifestEntry Entry, bool Stale);

/// <summary>
/// Route manifests through HybridCache: memory, then Redis (Redis mode), then <see cref="ManifestFetcher"/>. When the
/// core cannot be reached the last known good version is served, marked stale. Keys: <c>manifest:{routeId}</c>
/// (in Redis under <c>{prefix}cache:</c>).
/// </summary>
internal sealed class ManifestCache(
    HybridCache cache,
    ManifestFetcher fetcher,
    IManifestStore store,
    ManifestVersions versions,
    IManifestVersionBus bus,
    EdgeMetrics metrics,
    IOptions<ManifestOptions> options,
    ILogger<ManifestCache> logger)
{
    private readonly HybridCacheEntryOptions _entryOptions = new() { Expiration = options.Value.Ttl, LocalCacheExpiration = options.Value.Ttl };
    private readonly TimeSpan _retryAfter = options.Value.RetryAfter;

    /// <summary>Where a new version came from: that decides what else must hear of it.</summary>
    public enum VersionSource
    {
        /// <summary>The core's version stream on this replica: drop cached copies and tell the other replicas.</summary>
        Core,

        /// <summary>Another replica's announcement: drop cached copies.</summary>
        Peer,

        /// <summary>A fetch that came back newer than known: it is already cached here; tell the other replicas.</summary>
        Fetch,
    }

    public static string Key(string routeId) => "manifest:" + routeId;

    /// <summary>The statuses that mean the core could not answer (as opposed to answering no).</summary>
    public static bool IsCoreUnreachable(StatusCode code)
        => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted;

    /// <summary>
    /// The route's current manifest, or the last known good one (stale) while the core cannot be reached. Throws
    /// NOT_FOUND for a route the core does not have and UNAVAILABLE (with a retry hint) for one never fetched.
    /// </summary>
    public async ValueTask<ManifestLookup> GetAsync(string routeId, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var entry = await GetOrFetchAsync(routeId, cancellationToken);
            if (entry.Version < versions.Latest(routeId))
            {
                // Cached before a newer version was announced (the announcement raced the fill): refetch once.
                await cache.RemoveAsync(Key(routeId), cancellationToken);
                entry = await GetOrFetchAsync(routeId, cancellationToken);
            }

            metrics.ManifestLookup(entry.CreatedTimestamp < started ? ManifestTier.Memory
                : entry.Origin == ManifestOrigin.Distributed ? ManifestTier.Redis : ManifestTier.Miss);
            if (entry.Version > versions.Latest(routeId))
            {
                await ObserveAsync(routeId, entry.Version, VersionSource.Fetch, cancellationToken);
            }

            return new ManifestLookup(entry, Stale: false);
        }
        catch (RpcException e) when (IsCoreUnreachable(e.StatusCode))
        {
            metrics.ManifestLookup(ManifestTier.Miss);
            var kept = await store.GetLastGoodAsync(routeId, cancellationToken);
            if (kept is null)
            {
                ManifestLog.NeverFetched(logger, routeId, e.StatusCode);
                EdgeErrors.Unavailable($"The core cannot be reached and route '{routeId}' was never fetched; retry later.", _retryAfter);
            }

            ManifestLog.ServingStale(logger, routeId, e.StatusCode, kept.Version);
            metrics.ManifestStaleServed();
            return new ManifestLookup(kept, Stale: true);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            metrics.ManifestLookup(ManifestTier.Miss);
            EdgeErrors.NotFound($"The core has no route '{routeId}'.");
            throw;
        }
    }

    /// <summary>
    /// Takes note of a route's new version: when it is newer than known, cached copies are dropped (memory here and
    /// Redis) as the source requires, the other replicas are told, and devices watching the route are woken.
    /// </summary>
    public async Task ObserveAsync(string routeId, long version, VersionSource source, CancellationToken cancellationToken)
    {
        if (versions.Advance(routeId, version) is not { } previous)
        {
            return;
        }

        if (previous == 0)
        {
            // First word of this route since start: nothing cached here can be newer, and a copy that is older is
            // caught when it is read (GetAsync compares versions), so there is nothing to drop or announce.
            return;
        }

        ManifestLog.VersionChanged(logger, routeId, version, previous);
        if (source != VersionSource.Fetch)
        {
            await cache.RemoveAsync(Key(routeId), cancellationToken);
        }

        if (source != VersionSource.Peer)
        {
            await bus.PublishAsync(routeId, version, cancellationToken);
        }
    }

    private ValueTask<ManifestEntry> GetOrFetchAsync(string routeId, CancellationToken cancellationToken)
        => cache.GetOrCreateAsync(
            Key(routeId),
            (fetcher, routeId),
            static (state, token) => state.fetcher.FetchAsync(state.routeId, token),
            _entryOptions,
            cancellationToken: cancellationToken);
}

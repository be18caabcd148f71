using CoreV1 = global::Core.V1;
using Edge.Gateway.Core;
using Edge.Gateway.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Manifests;

/// <summary>
/// What runs when both cache tiers miss: one replica calls the core, the others wait for its result. The replica
/// that takes the route's fetch lock asks the core and keeps the answer as last known good; the rest poll that copy
/// until it is fresh (or the lock is free, or the wait ran out). Within one replica HybridCache already lets only one
/// caller per route get here.
/// </summary>
internal sealed class ManifestFetcher(
    CoreConnection core,
    IManifestStore store,
    ManifestVersions versions,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<ManifestOptions> options,
    ILogger<ManifestFetcher> logger)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly ManifestOptions _options = options.Value;
    private long _coreUnreachableUntilTicks;

    public async ValueTask<ManifestEntry> FetchAsync(string routeId, CancellationToken cancellationToken)
    {
        var hold = _options.FetchTimeout + TimeSpan.FromSeconds(1);
        var giveUpAt = timeProvider.GetUtcNow() + hold;
        while (true)
        {
            if (await FreshCopyAsync(routeId, cancellationToken) is { } copy)
            {
                return copy;
            }

            await using (var fetchLock = await store.TryLockFetchAsync(routeId, hold, cancellationToken))
            {
                if (fetchLock is not null)
                {
                    // A peer may have finished between the read above and taking the lock.
                    return await FreshCopyAsync(routeId, cancellationToken) ?? await FetchFromCoreAsync(routeId, cancellationToken);
                }
            }

            if (timeProvider.GetUtcNow() >= giveUpAt)
            {
                // The holder is slow or gone: ask the core ourselves rather than keep the device waiting.
                return await FetchFromCoreAsync(routeId, cancellationToken);
            }

            await Task.Delay(PollInterval, timeProvider, cancellationToken);
        }
    }

    /// <summary>The kept copy when it is as fresh as a cache entry: within the TTL and not older than the newest version heard of.</summary>
    private async ValueTask<ManifestEntry?> FreshCopyAsync(string routeId, CancellationToken cancellationToken)
    {
        var kept = await store.GetLastGoodAsync(routeId, cancellationToken);
        if (kept is null || kept.Version < versions.Latest(routeId) || kept.FetchedAt + _options.Ttl <= timeProvider.GetUtcNow())
        {
            return null;
        }

        ManifestLog.FilledByPeer(logger, routeId, kept.Version);
        return kept;
    }

    private async ValueTask<ManifestEntry> FetchFromCoreAsync(string routeId, CancellationToken cancellationToken)
    {
        if (timeProvider.GetUtcNow().UtcTicks < Interlocked.Read(ref _coreUnreachableUntilTicks))
        {
            // The core failed moments ago: do not pile calls onto it; the caller serves what it has.
            throw new RpcException(new Status(StatusCode.Unavailable, "The core was unreachable moments ago."));
        }

        CoreV1.RouteManifest manifest;
        try
        {
            var client = new CoreV1.Manifests.ManifestsClient(await core.GetChannelAsync(cancellationToken));
            manifest = await client.GetManifestAsync(
                new CoreV1.GetRouteManifestRequest { RouteId = routeId },
                deadline: timeProvider.GetUtcNow().UtcDateTime + _options.FetchTimeout,
                cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            metrics.ManifestCoreCall(e.StatusCode);
            if (ManifestCache.IsCoreUnreachable(e.StatusCode))
            {
                Interlocked.Exchange(ref _coreUnreachableUntilTicks, (timeProvider.GetUtcNow() + _options.RetryAfter).UtcTicks);
            }

            throw;
        }

        metrics.ManifestCoreCall(StatusCode.OK);
        var entry = new ManifestEntry(ManifestConversion.ToEdge(manifest), timeProvider.GetUtcNow(), ManifestOrigin.Fetched);
        await store.SaveLastGoodAsync(entry, cancellationToken);
        ManifestLog.Fetched(logger, routeId, entry.Version, manifest.Stops.Count);
        return entry;
    }
}

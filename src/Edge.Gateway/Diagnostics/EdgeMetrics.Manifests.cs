using System.Diagnostics.Metrics;

namespace Edge.Gateway.Diagnostics;

/// <summary>Which cache tier answered a manifest lookup.</summary>
internal enum ManifestTier
{
    /// <summary>The in-process tier.</summary>
    Memory,

    /// <summary>The distributed tier (Redis).</summary>
    Redis,

    /// <summary>Neither: fetched (from the core or a peer's fetch), or served stale.</summary>
    Miss,
}

/// <summary>Route manifest instruments.</summary>
internal sealed partial class EdgeMetrics
{
    private static readonly KeyValuePair<string, object?> MemoryTier = new("tier", "memory");
    private static readonly KeyValuePair<string, object?> RedisTier = new("tier", "redis");

    private Counter<long> _manifestHits = null!;
    private Counter<long> _manifestMisses = null!;
    private Counter<long> _manifestCoreCalls = null!;
    private Counter<long> _manifestStaleServed = null!;
    private UpDownCounter<long> _manifestWatchStreams = null!;

    public void ManifestLookup(ManifestTier tier)
    {
        switch (tier)
        {
            case ManifestTier.Memory:
                _manifestHits.Add(1, MemoryTier);
                break;
            case ManifestTier.Redis:
                _manifestHits.Add(1, RedisTier);
                break;
            default:
                _manifestMisses.Add(1);
                break;
        }
    }

    public void ManifestCoreCall(Grpc.Core.StatusCode code) => _manifestCoreCalls.Add(1, new KeyValuePair<string, object?>("rpc.grpc.status_code", code.ToString()));

    public void ManifestStaleServed() => _manifestStaleServed.Add(1);

    public void ManifestWatchOpened() => _manifestWatchStreams.Add(1);

    public void ManifestWatchClosed() => _manifestWatchStreams.Add(-1);

    private void CreateManifestInstruments(Meter meter)
    {
        _manifestHits = meter.CreateCounter<long>("edge.manifest.cache.hits", "{lookup}", "Manifest lookups answered by a cache tier (tag tier: memory or redis).");
        _manifestMisses = meter.CreateCounter<long>("edge.manifest.cache.misses", "{lookup}", "Manifest lookups that neither cache tier answered.");
        _manifestCoreCalls = meter.CreateCounter<long>("edge.manifest.core_calls", "{call}", "Manifest calls to the core, by status code.");
        _manifestStaleServed = meter.CreateCounter<long>("edge.manifest.stale_served", "{lookup}", "Last known good manifests served because the core could not be reached.");
        _manifestWatchStreams = meter.CreateUpDownCounter<long>("edge.manifest.watch_streams", "{stream}", "WatchManifest streams open.");
    }
}

using System.Collections.Concurrent;
using Core.V1;

namespace Edge.CoreSim.Admin;

/// <summary>In-memory call counts the Admin service reports, so tests can assert how often the core was reached.</summary>
internal sealed class CoreCounters
{
    private readonly ConcurrentDictionary<string, int> _proofDeliveries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _scanDeliveries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _blobUploads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _manifestCalls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _faultsInjected = new(StringComparer.Ordinal);
    private int _findMissingBlobsCalls;
    private int _manifestWatchers;

    public void ProofDelivered(string proofId) => Increment(_proofDeliveries, proofId);

    public void ScanDelivered(string eventId) => Increment(_scanDeliveries, eventId);

    public void BlobUploaded(string sha256) => Increment(_blobUploads, sha256);

    public void ManifestServed(string routeId) => Increment(_manifestCalls, routeId);

    public void FaultInjected(string method) => Increment(_faultsInjected, method.TrimStart('/'));

    public void FindMissingBlobsServed() => Interlocked.Increment(ref _findMissingBlobsCalls);

    public void WatcherOpened() => Interlocked.Increment(ref _manifestWatchers);

    public void WatcherClosed() => Interlocked.Decrement(ref _manifestWatchers);

    public Counters Snapshot()
    {
        var counters = new Counters
        {
            FindMissingBlobsCalls = Volatile.Read(ref _findMissingBlobsCalls),
            ManifestWatchers = Volatile.Read(ref _manifestWatchers),
        };
        counters.ProofDeliveries.Add(_proofDeliveries);
        counters.ScanDeliveries.Add(_scanDeliveries);
        counters.BlobUploads.Add(_blobUploads);
        counters.ManifestCalls.Add(_manifestCalls);
        counters.FaultsInjected.Add(_faultsInjected);
        return counters;
    }

    /// <summary>Zeroes the counts; open watchers stay counted, since they are a state rather than a count.</summary>
    public void Reset()
    {
        _proofDeliveries.Clear();
        _scanDeliveries.Clear();
        _blobUploads.Clear();
        _manifestCalls.Clear();
        _faultsInjected.Clear();
        Interlocked.Exchange(ref _findMissingBlobsCalls, 0);
    }

    private static void Increment(ConcurrentDictionary<string, int> counts, string key)
        => counts.AddOrUpdate(key, 1, static (_, count) => count + 1);
}

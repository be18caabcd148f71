using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using Edge.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Caching.Hybrid;

namespace Edge.Gateway.Manifests;

/// <summary>Where a cached manifest came from, for the per-tier hit counts.</summary>
internal enum ManifestOrigin
{
    /// <summary>Fetched on this replica (from the core, or from a peer's fetch it waited for).</summary>
    Fetched,

    /// <summary>Read from the distributed cache (Redis).</summary>
    Distributed,
}

/// <summary>
/// One version of a route's manifest as the cache holds it. Never changed after it is made, so the memory tier hands
/// out this same instance to every caller (HybridCache keeps <c>[ImmutableObject(true)]</c> sealed types as they are
/// instead of deserializing a copy per hit), and the responses are built once.
/// </summary>
[ImmutableObject(true)]
internal sealed class ManifestEntry
{
    private readonly Dictionary<string, Stop> _stops;
    private readonly Dictionary<string, Stop> _stopByPackage;

    public ManifestEntry(RouteManifest manifest, DateTimeOffset fetchedAt, ManifestOrigin origin)
        : this(new GetManifestResponse { Manifest = manifest, Version = manifest.Version, FetchedAt = Timestamp.FromDateTimeOffset(fetchedAt) }, origin)
    {
    }

    private ManifestEntry(GetManifestResponse stored, ManifestOrigin origin)
    {
        Stored = stored;
        Origin = origin;
        CreatedTimestamp = Stopwatch.GetTimestamp();
        Current = stored;
        Stale = new GetManifestResponse { Manifest = stored.Manifest, Version = stored.Version, FetchedAt = stored.FetchedAt, Stale = true };
        NotModified = new GetManifestResponse { NotModified = true, Version = stored.Version, FetchedAt = stored.FetchedAt };
        StaleNotModified = new GetManifestResponse { NotModified = true, Version = stored.Version, FetchedAt = stored.FetchedAt, Stale = true };
        _stops = new Dictionary<string, Stop>(StringComparer.Ordinal);
        _stopByPackage = new Dictionary<string, Stop>(StringComparer.Ordinal);
        foreach (var stop in stored.Manifest.Stops)
        {
            _stops.TryAdd(stop.StopId, stop);
            foreach (var package in stop.Packages)
            {
                _stopByPackage.TryAdd(package.PackageId, stop);
            }
        }
    }

    public string RouteId => Stored.Manifest.RouteId;

    public long Version => Stored.Version;

    public DateTimeOffset FetchedAt => Stored.FetchedAt.ToDateTimeOffset();

    public ManifestOrigin Origin { get; }

    /// <summary><see cref="Stopwatch"/> timestamp of when this instance was made.</summary>
    public long CreatedTimestamp { get; }

    /// <summary>What the caches store: manifest, version and fetch time.</summary>
    public GetManifestResponse Stored { get; }

    // Shared, never mutated responses: serializing a message does not change it.
    private GetManifestResponse Current { get; }

    private GetManifestResponse Stale { get; }

    private GetManifestResponse NotModified { get; }

    private GetManifestResponse StaleNotModified { get; }

    /// <summary>The answer to a device that holds <paramref name="knownVersion"/>.</summary>
    public GetManifestResponse ResponseFor(long knownVersion, bool stale)
        => knownVersion == Version ? (stale ? StaleNotModified : NotModified) : (stale ? Stale : Current);

    public Stop? FindStop(string stopId) => _stops.GetValueOrDefault(stopId);

    /// <summary>The stop a package is delivered at, or null when it is not on the route.</summary>
    public Stop? FindStopOfPackage(string packageId) => _stopByPackage.GetValueOrDefault(packageId);

    public byte[] ToBytes() => Stored.ToByteArray();

    public static ManifestEntry Parse(ReadOnlySequence<byte> bytes, ManifestOrigin origin)
        => new(GetManifestResponse.Parser.ParseFrom(bytes), origin);

    public static ManifestEntry Parse(byte[] bytes, ManifestOrigin origin)
        => new(GetManifestResponse.Parser.ParseFrom(bytes), origin);
}

/// <summary>The distributed-cache form of a <see cref="ManifestEntry"/>: protobuf bytes, no JSON detour.</summary>
internal sealed class ManifestEntrySerializer : IHybridCacheSerializer<ManifestEntry>
{
    public ManifestEntry Deserialize(ReadOnlySequence<byte> source) => ManifestEntry.Parse(source, ManifestOrigin.Distributed);

    public void Serialize(ManifestEntry value, IBufferWriter<byte> target) => value.Stored.WriteTo(target);
}

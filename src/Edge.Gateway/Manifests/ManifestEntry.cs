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
/// instead of deserializing a copy per hit), and the replies are serialized once.
/// </summary>
[ImmutableObject(true)]
internal sealed class ManifestEntry
{
    private readonly Dictionary<string, Stop> _stops;
    private readonly Dictionary<string, Stop> _stopByPackage;
    private readonly ManifestReply _current;
    private readonly ManifestReply _notModified;
    private readonly ManifestReply _staleNotModified;
    private ManifestReply? _stale;

    public ManifestEntry(RouteManifest manifest, DateTimeOffset fetchedAt, ManifestOrigin origin)
        : this(new GetManifestResponse { Manifest = manifest, Version = manifest.Version, FetchedAt = Timestamp.FromDateTimeOffset(fetchedAt) }, origin)
    {
    }

    private ManifestEntry(GetManifestResponse stored, ManifestOrigin origin)
    {
        Stored = stored;
        Origin = origin;
        CreatedTimestamp = Stopwatch.GetTimestamp();
        _current = ManifestReply.From(stored);
        _notModified = ManifestReply.From(new GetManifestResponse { NotModified = true, Version = stored.Version, FetchedAt = stored.FetchedAt });
        _staleNotModified = ManifestReply.From(new GetManifestResponse { NotModified = true, Version = stored.Version, FetchedAt = stored.FetchedAt, Stale = true });
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

    /// <summary>The answer to a device that holds <paramref name="knownVersion"/>, serialized once per entry.</summary>
    public ManifestReply ReplyFor(long knownVersion, bool stale)
        => knownVersion == Version ? (stale ? _staleNotModified : _notModified)
            : stale ? _stale ??= ManifestReply.From(new GetManifestResponse { Manifest = Stored.Manifest, Version = Version, FetchedAt = Stored.FetchedAt, Stale = true })
            : _current;

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

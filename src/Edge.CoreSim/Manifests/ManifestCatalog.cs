using System.Collections.Concurrent;
using System.Globalization;
using Core.V1;
using Edge.CoreSim.Contract;
using Edge.CoreSim.Storage;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.CoreSim.Manifests;

/// <summary>
/// The current manifest of every route: generated from the seed (version 1) until a version is published, then
/// the published one, kept under <c>manifests/</c> so it outlives a restart.
/// </summary>
internal sealed class ManifestCatalog
{
    private const string RoutePrefix = "R-";

    private readonly CoreSimulatorOptions _options;
    private readonly ManifestVersionFeed _feed;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ManifestCatalog> _logger;
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, RouteManifest> _generated = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Published> _published = new(StringComparer.Ordinal);
    private readonly Lock _publishGate = new();

    public ManifestCatalog(
        IOptions<CoreSimulatorOptions> options,
        CoreDataDirectory dataDirectory,
        ManifestVersionFeed feed,
        TimeProvider timeProvider,
        ILogger<ManifestCatalog> logger)
    {
        _options = options.Value;
        _feed = feed;
        _timeProvider = timeProvider;
        _logger = logger;
        _directory = dataDirectory.File("manifests");
        Directory.CreateDirectory(_directory);
        foreach (var file in Directory.EnumerateFiles(_directory, "*.pb"))
        {
            var manifest = new RouteManifest();
            var change = new ManifestVersionChanged();
            MessagePair.Decode(File.ReadAllBytes(file), manifest, change);
            _published[manifest.RouteId] = new Published(manifest, change);
        }

        ManifestsLog.Loaded(logger, _published.Count, _options.RouteCount);
    }

    /// <summary>Every route, generated and published, in id order.</summary>
    public IReadOnlyList<string> RouteIds
        => Enumerable.Range(1, _options.RouteCount)
            .Select(RouteId)
            .Union(_published.Keys)
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static string RouteId(int number) => string.Create(CultureInfo.InvariantCulture, $"{RoutePrefix}{number:0000}");

    public RouteManifest? Find(string routeId)
    {
        if (_published.TryGetValue(routeId, out var published))
        {
            return published.Manifest;
        }

        return IsGenerated(routeId)
            ? _generated.GetOrAdd(routeId, id => ManifestGenerator.Initial(_options.Seed, id, _options.StopsPerRoute))
            : null;
    }

    /// <summary>The current version of a route as a watcher sees it, or null for an unknown route.</summary>
    public ManifestVersionChanged? CurrentVersion(string routeId)
    {
        if (_published.TryGetValue(routeId, out var published))
        {
            return published.Change;
        }

        return IsGenerated(routeId) ? new ManifestVersionChanged { RouteId = routeId, Version = 1 } : null;
    }

    /// <summary>
    /// Makes <paramref name="manifest"/> (or, when null, a deterministic change of the current one) the route's next
    /// version, durably, then announces it.
    /// </summary>
    public RouteManifest Publish(string routeId, RouteManifest? manifest)
    {
        Published published;
        lock (_publishGate)
        {
            var current = Find(routeId);
            RouteManifest next;
            if (manifest is null)
            {
                if (current is null)
                {
                    CoreErrors.NotFound($"No route '{routeId}'.");
                }

                next = ManifestGenerator.NextVersion(_options.Seed, current);
            }
            else
            {
                next = manifest.Clone();
                next.RouteId = routeId;
                next.Version = (current?.Version ?? 0) + 1;
            }

            var change = new ManifestVersionChanged
            {
                RouteId = routeId,
                Version = next.Version,
                PublishedAt = Timestamp.FromDateTimeOffset(_timeProvider.GetUtcNow()),
            };
            published = new Published(next, change);
            DurableFile.WriteAllBytes(Path.Combine(_directory, routeId + ".pb"), MessagePair.Encode(next, change));
            _published[routeId] = published;
        }

        ManifestsLog.Published(_logger, routeId, published.Manifest.Version, published.Manifest.Stops.Count);
        _feed.Publish(published.Change);
        return published.Manifest;
    }

    private bool IsGenerated(string routeId)
        => routeId.Length == RoutePrefix.Length + 4
            && routeId.StartsWith(RoutePrefix, StringComparison.Ordinal)
            && int.TryParse(routeId.AsSpan(RoutePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number >= 1
            && number <= _options.RouteCount;

    private sealed record Published(RouteManifest Manifest, ManifestVersionChanged Change);
}

using Edge.CoreSim.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Manifests;

internal static partial class ManifestsLog
{
    [LoggerMessage(EventId = EventIds.ManifestLoaded, Level = LogLevel.Information, Message = "Manifests: {PublishedCount} published route(s) loaded, {RouteCount} generated route(s).")]
    public static partial void Loaded(ILogger logger, int publishedCount, int routeCount);

    [LoggerMessage(EventId = EventIds.ManifestPublished, Level = LogLevel.Information, Message = "Published route {RouteId} version {Version} ({StopCount} stops).")]
    public static partial void Published(ILogger logger, string routeId, long version, int stopCount);

    [LoggerMessage(EventId = EventIds.ManifestWatcherOpened, Level = LogLevel.Debug, Message = "Manifest watcher opened for {RouteCount} route(s) (0 = all).")]
    public static partial void WatcherOpened(ILogger logger, int routeCount);
}

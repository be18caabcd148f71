using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Manifests;

internal static partial class ManifestLog
{
    [LoggerMessage(EventIds.ManifestFetched, LogLevel.Debug, "Fetched route {RouteId} version {Version} ({Stops} stops) from the core.")]
    public static partial void Fetched(ILogger logger, string routeId, long version, int stops);

    [LoggerMessage(EventIds.ManifestFilledByPeer, LogLevel.Debug, "Route {RouteId} version {Version} was just fetched by another replica; using it.")]
    public static partial void FilledByPeer(ILogger logger, string routeId, long version);

    [LoggerMessage(EventIds.ManifestServingStale, LogLevel.Warning, "The core could not be reached for route {RouteId} ({StatusCode}); serving the last known good version {Version}.")]
    public static partial void ServingStale(ILogger logger, string routeId, Grpc.Core.StatusCode statusCode, long version);

    [LoggerMessage(EventIds.ManifestNeverFetched, LogLevel.Warning, "The core could not be reached for route {RouteId} ({StatusCode}) and the route was never fetched.")]
    public static partial void NeverFetched(ILogger logger, string routeId, Grpc.Core.StatusCode statusCode);

    [LoggerMessage(EventIds.ManifestVersionChanged, LogLevel.Information, "Route {RouteId} is now at version {Version} (was {Previous}); cached copies dropped.")]
    public static partial void VersionChanged(ILogger logger, string routeId, long version, long previous);

    [LoggerMessage(EventIds.ManifestWatchConnected, LogLevel.Information, "Watching the core's manifest versions.")]
    public static partial void WatchConnected(ILogger logger);

    [LoggerMessage(EventIds.ManifestWatchLost, LogLevel.Warning, "The core's manifest version stream ended ({StatusCode}); reconnecting in {Delay}.")]
    public static partial void WatchLost(ILogger logger, Grpc.Core.StatusCode statusCode, TimeSpan delay);

    [LoggerMessage(EventIds.ManifestAnnouncementFailed, LogLevel.Warning, "A manifest version announcement could not be handled.")]
    public static partial void AnnouncementFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventIds.ManifestWatchOpened, LogLevel.Debug, "Device {DeviceId} watches route {RouteId} from version {Version}.")]
    public static partial void WatchOpened(ILogger logger, string deviceId, string routeId, long version);
}

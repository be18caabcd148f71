using CoreV1 = global::Core.V1;
using Edge.Gateway.Core;
using Grpc.Core;

namespace Edge.Gateway.Manifests;

/// <summary>
/// Follows the core's manifest version stream (every route, opening with the current versions) and hands each
/// version to the cache, which drops stale copies and tells the other replicas. Every replica runs one, so there is
/// no leader to fail over; the pub/sub announcements cover a replica whose stream is down for a moment. Reconnects
/// with capped exponential backoff and jitter.
/// </summary>
internal sealed class CoreManifestWatcher(
    CoreConnection core,
    ManifestCache cache,
    IManifestVersionBus bus,
    TimeProvider timeProvider,
    ILogger<CoreManifestWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscribed = false;
        var delay = FirstDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var status = StatusCode.OK;
            try
            {
                if (!subscribed)
                {
                    await bus.SubscribeAsync((routeId, version) => cache.ObserveAsync(routeId, version, ManifestCache.VersionSource.Peer, stoppingToken), stoppingToken);
                    subscribed = true;
                }

                var client = new CoreV1.Manifests.ManifestsClient(await core.GetChannelAsync(stoppingToken));
                using var call = client.WatchManifestVersions(new CoreV1.WatchManifestVersionsRequest { IncludeCurrent = true }, cancellationToken: stoppingToken);
                var connected = false;
                while (await call.ResponseStream.MoveNext(stoppingToken))
                {
                    if (!connected)
                    {
                        connected = true;
                        delay = FirstDelay;
                        ManifestLog.WatchConnected(logger);
                    }

                    var change = call.ResponseStream.Current;
                    await cache.ObserveAsync(change.RouteId, change.Version, ManifestCache.VersionSource.Core, stoppingToken);
                }
            }
            catch (Exception e) when (stoppingToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                return;
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }
            catch (Exception e)
            {
                // Redis or the cache failed while handling a version: keep watching; reads still compare versions.
                ManifestLog.AnnouncementFailed(logger, e);
                status = StatusCode.Unknown;
            }

            var wait = delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(delay.TotalMilliseconds / 2) + 1));
            ManifestLog.WatchLost(logger, status, wait);
            try
            {
                await Task.Delay(wait, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, delay.Ticks * 2));
        }
    }
}

using Core.V1;
using Edge.CoreSim.Admin;
using Edge.CoreSim.Contract;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Manifests;

internal sealed class ManifestsService(
    ManifestCatalog catalog,
    ManifestVersionFeed feed,
    CoreCounters counters,
    IHostApplicationLifetime lifetime,
    ILogger<ManifestsService> logger) : Core.V1.Manifests.ManifestsBase
{
    public override Task<RouteManifest> GetManifest(GetRouteManifestRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.RouteId))
        {
            CoreErrors.InvalidArgument("route_id", "required");
        }

        counters.ManifestServed(request.RouteId);
        var manifest = catalog.Find(request.RouteId);
        if (manifest is null)
        {
            CoreErrors.NotFound($"No route '{request.RouteId}'.");
        }

        return Task.FromResult(manifest);
    }

    public override async Task WatchManifestVersions(
        WatchManifestVersionsRequest request, IServerStreamWriter<ManifestVersionChanged> responseStream, ServerCallContext context)
    {
        // Ends with the call, or with the host so that shutdown does not wait for watchers.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var cancellationToken = stopping.Token;

        // Subscribe before reading current versions, so no change falls between the two.
        using var subscription = feed.Subscribe(request.RouteIds);
        counters.WatcherOpened();
        ManifestsLog.WatcherOpened(logger, request.RouteIds.Count);
        try
        {
            if (request.IncludeCurrent)
            {
                var routeIds = request.RouteIds.Count > 0 ? request.RouteIds.Distinct(StringComparer.Ordinal) : catalog.RouteIds;
                foreach (var routeId in routeIds)
                {
                    if (catalog.CurrentVersion(routeId) is { } current)
                    {
                        var message = current.Clone();
                        message.Current = true;
                        await responseStream.WriteAsync(message, cancellationToken);
                    }
                }
            }

            while (true)
            {
                foreach (var change in await subscription.NextAsync(cancellationToken))
                {
                    await responseStream.WriteAsync(change, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // Shutting down: end the stream with OK; the watcher reconnects elsewhere or later.
        }
        finally
        {
            counters.WatcherClosed();
        }
    }
}

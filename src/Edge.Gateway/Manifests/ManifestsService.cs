using Edge.Gateway.Diagnostics;
using Edge.Gateway.Limits;
using Edge.Gateway.Security;
using Edge.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;

namespace Edge.Gateway.Manifests;

/// <summary>
/// The <c>edge.v1.Manifests</c> service: cached, versioned route manifests, and a stream of new versions. Bound by
/// <see cref="ManifestsServiceBase"/> so that cached answers go out as pre-serialized bytes.
/// </summary>
[Authorize(Policy = EdgeAuthorization.DevicePolicy)]
internal sealed class ManifestsService(
    ManifestCache manifests,
    ManifestVersions versions,
    DeviceLimits limits,
    EdgeMetrics metrics,
    ILogger<ManifestsService> logger) : ManifestsServiceBase
{
    public override async Task<ManifestReply> GetManifest(GetManifestRequest request, ServerCallContext context)
    {
        CheckRequest(request.RouteId, request.KnownVersion, context);
        var lookup = await manifests.GetAsync(request.RouteId, context.CancellationToken);
        var reply = lookup.Entry.ReplyFor(request.KnownVersion, lookup.Stale);
        context.WriteOptions = reply.WriteOptions;
        return reply;
    }

    public override async Task WatchManifest(WatchManifestRequest request, IServerStreamWriter<ManifestReply> responseStream, ServerCallContext context)
    {
        var device = CheckRequest(request.RouteId, request.KnownVersion, context);
        var cancellationToken = context.CancellationToken;
        using var slot = limits.OpenStream("manifest_watches", device.DeviceId, request.RouteId, limits.Options.MaxManifestWatchesPerRoute);
        metrics.ManifestWatchOpened();
        try
        {
            ManifestLog.WatchOpened(logger, ClientText.Bound(device.DeviceId), request.RouteId, request.KnownVersion);

            // Headers now, so the device knows the watch stands even when it already has the current version.
            await context.WriteResponseHeadersAsync([]);
            var sent = request.KnownVersion;
            while (!cancellationToken.IsCancellationRequested)
            {
                // Taken before reading the version, so a change between the two still wakes this loop.
                var changed = versions.NextChange(request.RouteId);
                var lookup = await manifests.GetAsync(request.RouteId, cancellationToken);
                if (lookup.Entry.Version > sent)
                {
                    var reply = lookup.Entry.ReplyFor(sent, lookup.Stale);
                    responseStream.WriteOptions = reply.WriteOptions;
                    await responseStream.WriteAsync(reply, cancellationToken);
                    sent = lookup.Entry.Version;
                }

                await changed.WaitAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The device went away.
        }
        finally
        {
            metrics.ManifestWatchClosed();
        }
    }

    private static DeviceIdentity CheckRequest(string routeId, long knownVersion, ServerCallContext context)
    {
        if (!Scans.IntakeChecks.IsId(routeId))
        {
            EdgeErrors.InvalidArgument("route_id", "1-128 characters of [A-Za-z0-9._:-]");
        }

        if (knownVersion < 0)
        {
            EdgeErrors.InvalidArgument("known_version", "must not be negative");
        }

        var device = DeviceIdentity.From(context);
        if (!device.RouteIds.Contains(routeId))
        {
            EdgeErrors.PermissionDenied($"Route '{ClientText.Bound(routeId)}' is not in this device's token.");
        }

        return device;
    }
}

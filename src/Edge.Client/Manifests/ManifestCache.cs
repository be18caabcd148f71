using System.Runtime.CompilerServices;
using Edge.Client.Connection;
using Edge.Client.Outbox;
using Edge.V1;
using Grpc.Core;
using V1 = Edge.V1;

namespace Edge.Client.Manifests;

/// <summary>
/// Route manifests with a copy on the device: asks the gateway with the cached version (so an unchanged manifest costs
/// a few bytes), serves the copy when the gateway cannot be reached, and follows new versions over a watch that
/// reconnects after every cut.
/// </summary>
internal sealed class ManifestCache(GatewayConnection connection, OutboxStore outbox, EdgeClientOptions options)
{
    private const int Attempts = 3;

    public async Task<Client.RouteManifest> GetAsync(string routeId, CancellationToken cancellationToken)
    {
        var cached = outbox.ReadManifest(routeId);
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var client = new V1.Manifests.ManifestsClient(connection.Channel);
                var response = await client.GetManifestAsync(new GetManifestRequest { RouteId = routeId, KnownVersion = cached?.Version ?? 0 },
                    deadline: DateTime.UtcNow + options.AttemptTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                var manifest = Accept(response, cached)
                    ?? throw new RpcException(new Status(StatusCode.Internal, "The gateway said not modified, but there is no cached manifest."));
                return ToModel(manifest, response.Stale);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The manifest request was cancelled.", e, cancellationToken);
            }
            catch (Exception e) when (TransientErrors.IsTransient(e, cancellationToken))
            {
                // Offline: the driver gets the copy at once rather than waiting for the link.
                if (cached is not null)
                {
                    return ToModel(cached, stale: true);
                }

                if (attempt >= Attempts)
                {
                    throw;
                }

                await connection.DelayAsync(backoff.Next(e), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async IAsyncEnumerable<Client.RouteManifest> WatchAsync(string routeId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var current = outbox.ReadManifest(routeId);
        if (current is not null)
        {
            yield return ToModel(current, stale: true);
        }

        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var client = new V1.Manifests.ManifestsClient(connection.Channel);
            using var call = client.WatchManifest(new WatchManifestRequest { RouteId = routeId, KnownVersion = current?.Version ?? 0 },
                cancellationToken: cancellationToken);
            while (true)
            {
                GetManifestResponse? response;
                try
                {
                    response = await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) ? call.ResponseStream.Current : null;
                }
                catch (Exception e) when (TransientErrors.IsTransient(e, cancellationToken))
                {
                    await connection.DelayAsync(backoff.Next(e), cancellationToken).ConfigureAwait(false);
                    break;
                }

                if (response is null)
                {
                    // The gateway ended the watch (a restart, a drain): reconnect, not at once.
                    await connection.DelayAsync(backoff.Next(), cancellationToken).ConfigureAwait(false);
                    break;
                }

                backoff.Reset();
                if (Accept(response, current) is { } manifest && manifest != current)
                {
                    current = manifest;
                    yield return ToModel(manifest, response.Stale);
                }
            }
        }
    }

    /// <summary>The manifest the answer stands for; a newer one than the cache is written to it.</summary>
    private V1.RouteManifest? Accept(GetManifestResponse response, V1.RouteManifest? cached)
    {
        if (response.NotModified || response.Manifest is null)
        {
            return cached;
        }

        if (cached is null || response.Manifest.Version > cached.Version)
        {
            outbox.WriteManifest(response.Manifest);
            return response.Manifest;
        }

        return cached;
    }

    private static Client.RouteManifest ToModel(V1.RouteManifest manifest, bool stale) => new()
    {
        RouteId = manifest.RouteId,
        Version = manifest.Version,
        DriverId = manifest.DriverId,
        DepotId = manifest.DepotId,
        IsStale = stale,
        Stops = manifest.Stops.Select(stop => new RouteStop
        {
            StopId = stop.StopId,
            Sequence = stop.Sequence,
            Address = stop.Address is { } address
                ? new StopAddress
                {
                    Line1 = address.Line1,
                    Line2 = address.Line2,
                    City = address.City,
                    PostalCode = address.PostalCode,
                    CountryCode = address.CountryCode,
                }
                : new StopAddress(),
            Latitude = stop.Location?.Latitude ?? 0,
            Longitude = stop.Location?.Longitude ?? 0,
            Packages = stop.Packages.Select(p => new ManifestPackage { PackageId = p.PackageId, Barcode = p.Barcode, WeightGrams = p.WeightGrams }).ToList(),
            Instructions = stop.Instructions,
            Confidential = stop.Confidential,
            PhotoOptOut = stop.PhotoOptOut,
            SignatureRequired = stop.SignatureRequired,
            AgeCheck = stop.AgeCheck,
        }).ToList(),
    };
}

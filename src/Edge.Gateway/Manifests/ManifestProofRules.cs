using Edge.Gateway.Proofs;
using Edge.Gateway.Security;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Manifests;

/// <summary>
/// The carrier's proof rules, read from the route's manifest (the last known good one while the core is away): the
/// route must be in the device's token, the stop on the route and every package on that stop; photos are withheld
/// at confidential and opted-out stops; a proof made farther from the stop than <see cref="ManifestOptions.OffSiteMeters"/>
/// is flagged off-site. A proof without a position is not flagged (there is nothing to measure).
/// </summary>
internal sealed class ManifestProofRules(ManifestCache manifests, IOptions<ManifestOptions> options) : IProofRules
{
    public const string ConfidentialReason = "confidential stop";
    public const string OptOutReason = "customer opted out of photos";

    public async Task<ProofRuling> EvaluateAsync(SubmitProofRequest proof, DeviceIdentity device, CancellationToken cancellationToken)
    {
        if (!device.RouteIds.Contains(proof.RouteId))
        {
            return ProofRuling.Refuse(StatusCode.PermissionDenied, $"Route '{ClientText.Bound(proof.RouteId)}' is not in this device's token.");
        }

        ManifestEntry manifest;
        try
        {
            manifest = (await manifests.GetAsync(proof.RouteId, cancellationToken)).Entry;
        }
        catch (RpcException e)
        {
            return ProofRuling.Refuse(e.StatusCode, e.Status.Detail);
        }

        if (manifest.FindStop(proof.StopId) is not { } stop)
        {
            return ProofRuling.Refuse(StatusCode.FailedPrecondition,
                $"Stop '{proof.StopId}' is not on route '{proof.RouteId}' (manifest version {manifest.Version}); refresh the manifest.");
        }

        foreach (var packageId in proof.PackageIds)
        {
            if (!stop.Packages.Any(p => p.PackageId == packageId))
            {
                var elsewhere = manifest.FindStopOfPackage(packageId);
                return ProofRuling.Refuse(StatusCode.FailedPrecondition, elsewhere is null
                    ? $"Package '{packageId}' is not on route '{proof.RouteId}' (manifest version {manifest.Version})."
                    : $"Package '{packageId}' is for stop '{elsewhere.StopId}', not stop '{stop.StopId}'.");
            }
        }

        var withheldReason = stop.Confidential ? ConfidentialReason : stop.PhotoOptOut ? OptOutReason : string.Empty;
        var offSite = proof.Location is { } at && stop.Location is { } target
            && GeoDistance.Meters(at.Latitude, at.Longitude, target.Latitude, target.Longitude) > options.Value.OffSiteMeters;
        return withheldReason.Length == 0 && !offSite
            ? ProofRuling.Accept
            : new ProofRuling(null, withheldReason.Length > 0, withheldReason, offSite);
    }
}

/// <summary>Great-circle distance on a spherical Earth (haversine): well within a metre of WGS 84 at delivery distances.</summary>
internal static class GeoDistance
{
    private const double EarthRadiusMeters = 6_371_008.8;

    public static double Meters(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        var phi1 = double.DegreesToRadians(latitude1);
        var phi2 = double.DegreesToRadians(latitude2);
        var deltaPhi = phi2 - phi1;
        var deltaLambda = double.DegreesToRadians(longitude2 - longitude1);
        var a = (Math.Sin(deltaPhi / 2) * Math.Sin(deltaPhi / 2))
            + (Math.Cos(phi1) * Math.Cos(phi2) * Math.Sin(deltaLambda / 2) * Math.Sin(deltaLambda / 2));
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}

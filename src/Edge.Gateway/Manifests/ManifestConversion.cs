using CoreV1 = global::Core.V1;
namespace Edge.Gateway.Manifests;

/// <summary>
/// The core's manifest in the handhelds' contract. Field by field on purpose: whatever the core adds later reaches
/// devices only once someone decides it should (a byte-level copy would carry unknown fields along).
/// </summary>
internal static class ManifestConversion
{
    public static V1.RouteManifest ToEdge(CoreV1.RouteManifest core)
    {
        var manifest = new V1.RouteManifest
        {
            RouteId = core.RouteId,
            Version = core.Version,
            DriverId = core.DriverId,
            DepotId = core.DepotId,
        };
        foreach (var stop in core.Stops)
        {
            manifest.Stops.Add(ToEdge(stop));
        }

        return manifest;
    }

    private static V1.Stop ToEdge(CoreV1.Stop core)
    {
        var stop = new V1.Stop
        {
            StopId = core.StopId,
            Sequence = core.Sequence,
            Instructions = core.Instructions,
            Confidential = core.Confidential,
            PhotoOptOut = core.PhotoOptOut,
            SignatureRequired = core.SignatureRequired,
            AgeCheck = core.AgeCheck,
        };
        if (core.Address is { } address)
        {
            stop.Address = new V1.Address
            {
                Line1 = address.Line1,
                Line2 = address.Line2,
                City = address.City,
                PostalCode = address.PostalCode,
                CountryCode = address.CountryCode,
            };
        }

        if (core.Location is { } location)
        {
            stop.Location = new V1.GeoPoint { Latitude = location.Latitude, Longitude = location.Longitude };
        }

        foreach (var package in core.Packages)
        {
            stop.Packages.Add(new V1.Package { PackageId = package.PackageId, Barcode = package.Barcode, WeightGrams = package.WeightGrams });
        }

        return stop;
    }
}

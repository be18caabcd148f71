namespace Edge.Client;

/// <summary>A route's manifest: its stops in driving order, with their packages and rules.</summary>
public sealed class RouteManifest
{
    /// <summary>The route.</summary>
    public required string RouteId { get; init; }

    /// <summary>The version; a newer manifest has a higher one.</summary>
    public long Version { get; init; }

    /// <summary>The driver assigned to the route.</summary>
    public string DriverId { get; init; } = "";

    /// <summary>The depot the route starts from.</summary>
    public string DepotId { get; init; } = "";

    /// <summary>The stops, in driving order.</summary>
    public IReadOnlyList<RouteStop> Stops { get; init; } = [];

    /// <summary>
    /// True when the gateway could not reach the core and served its last known good version, or when the client
    /// could not reach the gateway and served its own cached copy.
    /// </summary>
    public bool IsStale { get; init; }
}

/// <summary>A stop on a route.</summary>
public sealed class RouteStop
{
    /// <summary>The stop's id.</summary>
    public required string StopId { get; init; }

    /// <summary>Position in driving order.</summary>
    public int Sequence { get; init; }

    /// <summary>The postal address.</summary>
    public StopAddress Address { get; init; } = new();

    /// <summary>Latitude of the delivery point (WGS 84 degrees).</summary>
    public double Latitude { get; init; }

    /// <summary>Longitude of the delivery point (WGS 84 degrees).</summary>
    public double Longitude { get; init; }

    /// <summary>The packages to deliver here.</summary>
    public IReadOnlyList<ManifestPackage> Packages { get; init; } = [];

    /// <summary>Instructions for the driver.</summary>
    public string Instructions { get; init; } = "";

    /// <summary>A registry or gift address: no photo may be kept or shown.</summary>
    public bool Confidential { get; init; }

    /// <summary>The customer opted out of delivery photos.</summary>
    public bool PhotoOptOut { get; init; }

    /// <summary>A signature is required.</summary>
    public bool SignatureRequired { get; init; }

    /// <summary>The recipient's age must be checked.</summary>
    public bool AgeCheck { get; init; }
}

/// <summary>A postal address.</summary>
public sealed class StopAddress
{
    /// <summary>First line.</summary>
    public string Line1 { get; init; } = "";

    /// <summary>Second line.</summary>
    public string Line2 { get; init; } = "";

    /// <summary>City.</summary>
    public string City { get; init; } = "";

    /// <summary>Postal code.</summary>
    public string PostalCode { get; init; } = "";

    /// <summary>ISO 3166-1 alpha-2 country code.</summary>
    public string CountryCode { get; init; } = "";
}

/// <summary>A package on the manifest.</summary>
public sealed class ManifestPackage
{
    /// <summary>The package's manifest id.</summary>
    public required string PackageId { get; init; }

    /// <summary>Its barcode.</summary>
    public string Barcode { get; init; } = "";

    /// <summary>Weight in grams.</summary>
    public int WeightGrams { get; init; }
}

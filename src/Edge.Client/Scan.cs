namespace Edge.Client;

/// <summary>A barcode scan to record. The client gives it its event id and sequence number.</summary>
public sealed class Scan
{
    /// <summary>The barcode as read. Required.</summary>
    public required string Barcode { get; init; }

    /// <summary>What the scan means. Required.</summary>
    public required ScanType Type { get; init; }

    /// <summary>The package's manifest id; empty when the barcode was not recognised.</summary>
    public string PackageId { get; init; } = "";

    /// <summary>The route the scan belongs to.</summary>
    public string RouteId { get; init; } = "";

    /// <summary>The stop, for scans made at a stop; empty otherwise.</summary>
    public string StopId { get; init; } = "";

    /// <summary>When the barcode was read, by the device's clock. Default: now, by <see cref="EdgeClientOptions.TimeProvider"/>.</summary>
    public DateTimeOffset? ScannedAt { get; init; }

    /// <summary>Where the device was; null when it had no fix.</summary>
    public DeviceLocation? Location { get; init; }

    /// <summary>Why an <see cref="ScanType.Attempted"/> delivery failed (a carrier exception code such as <c>NO_ACCESS</c>).</summary>
    public string ExceptionCode { get; init; } = "";
}

/// <summary>What a scan means.</summary>
public enum ScanType
{
    /// <summary>Not a valid type; the gateway rejects it.</summary>
    Unspecified = 0,

    /// <summary>Loaded onto the vehicle.</summary>
    Loaded = 1,

    /// <summary>Out for delivery.</summary>
    OutForDelivery = 2,

    /// <summary>Delivered.</summary>
    Delivered = 3,

    /// <summary>Delivery attempted and failed; see <see cref="Scan.ExceptionCode"/>.</summary>
    Attempted = 4,

    /// <summary>Returned to the depot.</summary>
    ReturnedToDepot = 5,

    /// <summary>Picked up from a customer.</summary>
    PickedUp = 6,
}

/// <summary>A WGS 84 position fix reported by the device.</summary>
/// <param name="Latitude">Degrees, -90 to 90.</param>
/// <param name="Longitude">Degrees, -180 to 180.</param>
/// <param name="AccuracyMeters">Radius of 68% confidence in metres; 0 when unknown.</param>
public sealed record DeviceLocation(double Latitude, double Longitude, double AccuracyMeters = 0);

/// <summary>A scan the gateway refused for good. It was moved out of the outbox and is not sent again.</summary>
/// <param name="EventId">The scan's event id, as returned by <see cref="EdgeClient.RecordScanAsync"/>.</param>
/// <param name="Barcode">The scan's barcode.</param>
/// <param name="Reason">The gateway's reason.</param>
public sealed record RejectedScan(string EventId, string Barcode, string Reason);

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edge.Gateway.Scans;

/// <summary>
/// One scan event as the gateway keeps it from intake to the core: the device's event with the identity of the device
/// and driver that sent it. The gateway's own model (the scan outbox entry's payload, as JSON), so the device contract
/// and the core contract can change without a data migration.
/// </summary>
/// <param name="EventId">The device-made id, unique per scan: the idempotency key.</param>
/// <param name="DeviceId">The device that sent it (from its token).</param>
/// <param name="DriverId">The driver signed in on the device (from its token).</param>
/// <param name="RouteId">The route; empty for scans not tied to one.</param>
/// <param name="StopId">The stop; empty for scans not made at a stop.</param>
/// <param name="PackageId">The manifest package id; empty when the barcode was not recognised.</param>
/// <param name="Barcode">The barcode as read.</param>
/// <param name="Kind">What the scan records.</param>
/// <param name="ScannedAt">By the device's clock.</param>
/// <param name="Location">Where the device was; null when it had no fix.</param>
/// <param name="ExceptionCode">Why an attempted delivery failed; empty otherwise.</param>
internal sealed record ScanRecord(
    string EventId,
    string DeviceId,
    string DriverId,
    string RouteId,
    string StopId,
    string PackageId,
    string Barcode,
    ScanKind Kind,
    DateTimeOffset ScannedAt,
    DevicePosition? Location,
    string ExceptionCode);

/// <summary>What a scan records (the values of <c>ScanType</c> in both contracts).</summary>
internal enum ScanKind
{
    Unspecified = 0,
    Loaded = 1,
    OutForDelivery = 2,
    Delivered = 3,
    Attempted = 4,
    ReturnedToDepot = 5,
    PickedUp = 6,
}

/// <summary>A position fix reported by a device.</summary>
/// <param name="Latitude">Degrees, -90 to 90.</param>
/// <param name="Longitude">Degrees, -180 to 180.</param>
/// <param name="AccuracyMeters">Radius of 68 % confidence in metres; 0 when unknown.</param>
internal sealed record DevicePosition(double Latitude, double Longitude, double AccuracyMeters);

/// <summary>
/// Reads and writes <see cref="ScanRecord"/> as queued (JSON; entries queued by earlier versions as the
/// <c>core.v1.ScanEvent</c> message are read too).
/// </summary>
internal static class ScanRecordCodec
{
    public static byte[] Encode(ScanRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, ScanRecordJson.Default.ScanRecord);

    public static ScanRecord Decode(ReadOnlySpan<byte> bytes)
        => bytes.Length > 0 && bytes[0] == (byte)'{'
            ? JsonSerializer.Deserialize(bytes, ScanRecordJson.Default.ScanRecord) ?? throw new InvalidDataException("Empty scan record.")
            : ScanWire.FromCore(global::Core.V1.ScanEvent.Parser.ParseFrom(bytes));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ScanRecord))]
internal sealed partial class ScanRecordJson : JsonSerializerContext;

/// <summary>Between the model and the messages of the contracts: the device's event in, the core's event out.</summary>
internal static class ScanWire
{
    /// <summary>An event a device sent (already checked), with the identity from its token.</summary>
    public static ScanRecord FromDevice(V1.ScanEvent scan, string deviceId, string driverId)
        => new(scan.EventId, deviceId, driverId, scan.RouteId, scan.StopId, scan.PackageId, scan.Barcode, (ScanKind)(int)scan.Type,
            scan.ScannedAt.ToDateTimeOffset(), FromDevice(scan.Location), scan.ExceptionCode);

    public static global::Core.V1.ScanEvent ToCore(ScanRecord scan) => new()
    {
        EventId = scan.EventId,
        DeviceId = scan.DeviceId,
        DriverId = scan.DriverId,
        RouteId = scan.RouteId,
        StopId = scan.StopId,
        PackageId = scan.PackageId,
        Barcode = scan.Barcode,
        Type = (global::Core.V1.ScanType)(int)scan.Kind,
        ScannedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(scan.ScannedAt),
        Location = ToCore(scan.Location),
        ExceptionCode = scan.ExceptionCode,
    };

    /// <summary>An event as queued by earlier versions.</summary>
    public static ScanRecord FromCore(global::Core.V1.ScanEvent scan)
        => new(scan.EventId, scan.DeviceId, scan.DriverId, scan.RouteId, scan.StopId, scan.PackageId, scan.Barcode, (ScanKind)(int)scan.Type,
            scan.ScannedAt?.ToDateTimeOffset() ?? default, FromCore(scan.Location), scan.ExceptionCode);

    public static DevicePosition? FromDevice(V1.DeviceLocation? location)
        => location is null ? null : new(location.Latitude, location.Longitude, location.AccuracyMeters);

    public static DevicePosition? FromCore(global::Core.V1.DeviceLocation? location)
        => location is null ? null : new(location.Latitude, location.Longitude, location.AccuracyMeters);

    public static global::Core.V1.DeviceLocation? ToCore(DevicePosition? location)
        => location is null ? null : new() { Latitude = location.Latitude, Longitude = location.Longitude, AccuracyMeters = location.AccuracyMeters };
}

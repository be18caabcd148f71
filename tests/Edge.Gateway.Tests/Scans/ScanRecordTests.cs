using Edge.Gateway.Scans;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Edge.Gateway.Tests.Scans;

/// <summary>The scan model against the messages, and the scan outbox payloads of either version.</summary>
public sealed class ScanRecordTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    private static global::Core.V1.ScanEvent CoreEvent() => new()
    {
        EventId = "e-1",
        DeviceId = "d1",
        DriverId = "driver-1",
        RouteId = "R-1",
        StopId = "S-1",
        PackageId = "P-1",
        Barcode = "1Z999",
        Type = global::Core.V1.ScanType.Attempted,
        ScannedAt = Timestamp.FromDateTimeOffset(T0),
        Location = new global::Core.V1.DeviceLocation { Latitude = -33.9, Longitude = 151.2, AccuracyMeters = 4 },
        ExceptionCode = "NO_ACCESS",
    };

    [Fact]
    public void Scan_FromTheCoreMessageAndBack_KeepsEveryField()
    {
        var scan = ScanWire.FromCore(CoreEvent());

        Assert.Equal(CoreEvent(), ScanWire.ToCore(scan));
        Assert.Equal(ScanKind.Attempted, scan.Kind);
    }

    [Fact]
    public void Scan_QueuedByThePreviousVersionOrThisOne_IsRead()
    {
        var scan = ScanWire.FromCore(CoreEvent());

        Assert.Equal(scan, ScanRecordCodec.Decode(CoreEvent().ToByteArray()));
        Assert.Equal(scan, ScanRecordCodec.Decode(ScanRecordCodec.Encode(scan)));
    }

    [Fact]
    public void Scan_FromADevice_TakesTheIdentityFromTheToken()
    {
        var sent = new V1.ScanEvent
        {
            EventId = "e-2", Barcode = "1Z1", Type = V1.ScanType.Delivered, ScannedAt = Timestamp.FromDateTimeOffset(T0), Sequence = 9,
        };

        var scan = ScanWire.FromDevice(sent, "device-9", "driver-9");

        Assert.Equal(new ScanRecord("e-2", "device-9", "driver-9", "", "", "", "1Z1", ScanKind.Delivered, T0, null, ""), scan);
        Assert.Null(ScanWire.ToCore(scan).Location);
    }
}

using Edge.Gateway.Forwarding;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Forwarding;

/// <summary>
/// State written by the previous version, which stored the contracts' messages themselves (a proof's
/// <c>edge.v1.ProofReceipt</c> and <c>core.v1.DeliverProofRequest</c>, a scan's <c>core.v1.ScanEvent</c> as its outbox
/// payload): a gateway of this version forwards it as it was, and the device sees its proof's receipt.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PreviousVersionStateTests(RedisServer redis)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProofAndScanQueuedByThePreviousVersion_ReachTheCoreAsTheyWere(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var channel = host.Channel();
        var admin = await AdminAsync(host);
        var stop = await StartRouteAsync(channel);
        var now = DateTimeOffset.UtcNow;
        var request = new global::Core.V1.DeliverProofRequest
        {
            ProofId = "old-proof",
            DeviceId = "device-1",
            DriverId = "driver-1",
            RouteId = "R-0001",
            StopId = stop.StopId,
            PackageIds = { stop.Packages[0].PackageId },
            DeliveredAt = Timestamp.FromDateTimeOffset(now.AddMinutes(-1)),
            Location = new global::Core.V1.DeviceLocation { Latitude = stop.Location.Latitude, Longitude = stop.Location.Longitude, AccuracyMeters = 6 },
            PlaceLeft = global::Core.V1.PlaceLeft.Mailroom,
            PhotoWithheld = true,
            PhotoWithheldReason = "customer opted out of photos",
            Note = "left at the desk",
            GatewayReceivedAt = Timestamp.FromDateTimeOffset(now),
        };
        var receipt = new ProofReceipt
        {
            ProofId = "old-proof", Status = ProofStatus.Received, UpdatedAt = Timestamp.FromDateTimeOffset(now),
            PhotoWithheld = true, PhotoWithheldReason = request.PhotoWithheldReason,
        };
        var scan = new global::Core.V1.ScanEvent
        {
            EventId = "old-scan", DeviceId = "device-1", DriverId = "driver-1", RouteId = "R-0001", StopId = stop.StopId,
            PackageId = stop.Packages[0].PackageId, Barcode = "1Z999AA10", Type = global::Core.V1.ScanType.Delivered,
            ScannedAt = Timestamp.FromDateTimeOffset(now), ExceptionCode = string.Empty,
        };

        await SeedProofAsync(host, useRedis, "device-1", receipt.ToByteArray(), request.ToByteArray(), now);
        var outbox = host.Services.GetRequiredService<IOutbox>();
        await outbox.EnqueueAsync(OutboxLane.Proofs, "old-proof", [], CancellationToken.None);
        await outbox.EnqueueAsync(OutboxLane.Scans, "old-scan", scan.ToByteArray(), CancellationToken.None);

        await AssertCoreHasProofsOnceAsync(admin, ["old-proof"]);
        await AssertCoreHasScansOnceAsync(admin, ["old-scan"]);
        var atCore = (await admin.GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = "old-proof" })).Proof;
        var status = await new V1.Proofs.ProofsClient(channel).GetProofStatusAsync(new GetProofStatusRequest { ProofId = "old-proof" });

        Assert.Equal(request, atCore);
        Assert.Equal((ProofStatus.Committed, true, request.PhotoWithheldReason), (status.Status, status.PhotoWithheld, status.PhotoWithheldReason));
    }

    /// <summary>The proof's record as the previous version wrote it, in either mode.</summary>
    private static async Task SeedProofAsync(GatewayHost host, bool useRedis, string device, byte[] receipt, byte[] request, DateTimeOffset at)
    {
        if (useRedis)
        {
            var keys = host.Services.GetRequiredService<RedisKeys>();
            var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
            await db.HashSetAsync(keys.Proof("old-proof"), [new("d", device), new("r", receipt), new("q", request), new("ph", "")]);
            await db.SortedSetAddAsync(keys.DeviceReceipts(device), "old-proof", at.ToUnixTimeMilliseconds());
            return;
        }

        using var connection = host.Services.GetRequiredService<SqliteDatabase>().Open();
        SqliteDatabase.Execute(connection, null,
            "INSERT INTO proofs (proof_id, device_id, receipt, request, photos, updated_ms) VALUES ('old-proof', $device, $receipt, $request, '', $now)",
            ("$device", device), ("$receipt", receipt), ("$request", request), ("$now", at.ToUnixTimeMilliseconds()));
    }
}

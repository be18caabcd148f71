using System.Collections.Concurrent;
using Core.V1;
using Edge.Client.Tests.Infrastructure;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;

namespace Edge.Client.Tests.Outbox;

/// <summary>
/// The outbox against the real gateway process and the core simulator it forwards to, through a proxy that takes the
/// link away: what was queued offline survives an app restart, reaches the core once, and leaves the device only when
/// the core has it.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OutboxGatewayTests(GatewayFixture gateway)
{
    private const string Route = "R-0001";
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly string _photos = TestClients.NewDirectory("edge-photos-");

    [Fact]
    public async Task Scans_QueuedOfflineThenAppRestarted_ReachCoreOnceAndRefusedOneSetAside()
    {
        var outbox = TestClients.NewDirectory("edge-outbox-scans-");
        await using var proxy = new FaultyProxy(gateway.Address) { Refusing = true };
        var eventIds = new List<string>();
        string future;
        await using (var offline = new EdgeClient(TestClients.Options(proxy.Address, outbox, "sdk-e2e-scans")))
        {
            for (var i = 0; i < 30; i++)
            {
                eventIds.Add(await offline.RecordScanAsync(new Scan { Barcode = $"E2E-{i:D4}", Type = ScanType.Delivered, RouteId = Route }));
            }

            // A device clock a day ahead: the gateway will never take this one.
            future = await offline.RecordScanAsync(new Scan { Barcode = "E2E-FUTURE", Type = ScanType.Delivered, ScannedAt = DateTimeOffset.UtcNow.AddDays(1) });
            Assert.Equal(31, offline.GetOutboxStatus().Scans);
        }

        // The link comes back, poor: cut every few kilobytes, mid-request.
        proxy.Refusing = false;
        proxy.CutEveryBytes = 6_000;
        await using var online = new EdgeClient(TestClients.Options(proxy.Address, outbox, "sdk-e2e-scans"));
        var rejected = new ConcurrentQueue<RejectedScan>();
        online.ScanRejected += (_, scan) => rejected.Enqueue(scan);
        await online.FlushOutboxAsync().WaitAsync(HangGuard);

        Assert.Equal(0, online.GetOutboxStatus().Scans);
        var refused = Assert.Single(rejected);
        Assert.Equal(future, refused.EventId);
        Assert.Contains("future", refused.Reason, StringComparison.Ordinal);

        var admin = gateway.CoreAdmin;
        ListScansResponse scans = new();
        await Eventually.TrueAsync(() =>
        {
            scans = admin.ListScans(new Empty());
            return eventIds.All(scans.AcceptedEventIds.Contains);
        }, "the core has every scan");
        var mine = scans.AcceptedEventIds.Concat(scans.RejectedEventIds).Where(id => eventIds.Contains(id) || id == future).ToList();
        Assert.Equal(eventIds.Order(StringComparer.Ordinal), mine.Order(StringComparer.Ordinal));

        // The simulator lists a scan as soon as it is recorded and counts its delivery right after, in the same call.
        IDictionary<string, int> deliveries = new Dictionary<string, int>();
        await Eventually.TrueAsync(() =>
        {
            deliveries = admin.GetCounters(new Empty()).ScanDeliveries;
            return eventIds.All(deliveries.ContainsKey);
        }, "the core to count every delivery");
        Assert.All(eventIds, id => Assert.Equal(1, deliveries[id]));
    }

    [Fact]
    public async Task Proof_QueuedOfflineThenAppRestarted_PhotoUploadedFirstAndKeptUntilCommitted()
    {
        var outbox = TestClients.NewDirectory("edge-outbox-proof-");
        await using var proxy = new FaultyProxy(gateway.Address);
        var photo = TestPhotos.Jpeg(_photos, 800, 600, seed: 21);
        var digest = TestPhotos.Sha256(photo);
        string proofId;
        await using (var app = new EdgeClient(TestClients.Options(proxy.Address, outbox, "sdk-e2e-proof")))
        {
            var stop = await PlainStopAsync(app);

            // The signal drops at the door.
            proxy.Refusing = true;
            proofId = await app.SubmitProofAsync(ProofAt(stop, photo));
            Assert.Equal(new OutboxStatus(0, 1, 1), app.GetOutboxStatus());
        }

        var admin = gateway.CoreAdmin;
        await admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults(), DownFor = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });
        try
        {
            proxy.Refusing = false;
            await using var restarted = new EdgeClient(TestClients.Options(proxy.Address, outbox, "sdk-e2e-proof"));
            var receipts = new ConcurrentQueue<ProofReceipt>();
            restarted.ReceiptReceived += (_, receipt) => receipts.Enqueue(receipt);
            await Eventually.TrueAsync(() => receipts.Any(r => r.ProofId == proofId && r.Status == ProofStatus.Received), "the gateway received the proof");

            // The gateway has it, the core does not: the device keeps the proof and its photo.
            Assert.Equal(new OutboxStatus(0, 1, 1), restarted.GetOutboxStatus());
            var held = await admin.ListProofsAsync(new Empty());
            Assert.DoesNotContain(proofId, held.AcceptedProofIds.Concat(held.RejectedProofIds));

            await admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults() });
            await restarted.FlushOutboxAsync().WaitAsync(HangGuard);

            Assert.Contains(receipts, r => r.ProofId == proofId && r.Status == ProofStatus.Committed);
            Assert.Equal(new OutboxStatus(0, 0, 0), restarted.GetOutboxStatus());
        }
        finally
        {
            await admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults() });
        }

        var proofs = await admin.ListProofsAsync(new Empty());
        Assert.Single(proofs.AcceptedProofIds, id => id == proofId);
        var stored = await admin.GetProofAsync(new GetProofRequest { ProofId = proofId });
        Assert.Equal(digest, Assert.Single(stored.Proof.Photos).DeviceSha256);
    }

    [Fact]
    public async Task Proofs_OneNamesStopNotOnRoute_SetAsideWithReasonAndNextOneCommitted()
    {
        await using var client = new EdgeClient(TestClients.Options(gateway.Address, deviceId: "sdk-e2e-refused"));
        var stop = await PlainStopAsync(client);
        var receipts = new ConcurrentQueue<ProofReceipt>();
        client.ReceiptReceived += (_, receipt) => receipts.Enqueue(receipt);
        var photo = TestPhotos.Jpeg(_photos, 640, 480, seed: 22);

        var wrongStop = await client.SubmitProofAsync(ProofAt(stop, photo, stopId: "NO-SUCH-STOP"));
        var good = await client.SubmitProofAsync(ProofAt(stop, photo));
        await client.FlushOutboxAsync().WaitAsync(HangGuard);

        var refused = Assert.Single(receipts, r => r.ProofId == wrongStop);
        Assert.Equal(ProofStatus.Rejected, refused.Status);
        Assert.Contains("FailedPrecondition", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(receipts, r => r.ProofId == good && r.Status == ProofStatus.Committed);
        Assert.Equal(0, client.GetOutboxStatus().Proofs);
    }

    [Fact]
    public async Task Proof_IdTakenByAnotherDeviceMeanwhile_SetAsideWithTheGatewaysReason()
    {
        await using var proxy = new FaultyProxy(gateway.Address);
        await using var client = new EdgeClient(TestClients.Options(proxy.Address, deviceId: "sdk-e2e-taken"));
        var stop = await PlainStopAsync(client);
        var withheld = (await client.GetManifestAsync(Route)).Stops.First(s => (s.Confidential || s.PhotoOptOut) && s.Packages.Count > 0);
        var receipts = new ConcurrentQueue<ProofReceipt>();
        client.ReceiptReceived += (_, receipt) => receipts.Enqueue(receipt);
        proxy.Refusing = true;
        var proofId = await client.SubmitProofAsync(ProofAt(stop, TestPhotos.Jpeg(_photos, 640, 480, seed: 23)));

        // Meanwhile another device submits a proof under the same id (photo-less: its stop keeps no photos).
        using var channel = GrpcChannel.ForAddress(gateway.Address);
        var other = await new Edge.V1.Proofs.ProofsClient(channel).SubmitProofAsync(new Edge.V1.SubmitProofRequest
        {
            ProofId = proofId,
            RouteId = Route,
            StopId = withheld.StopId,
            PackageIds = { withheld.Packages[0].PackageId },
            DeliveredAt = Timestamp.FromDateTime(DateTime.UtcNow),
            PlaceLeft = Edge.V1.PlaceLeft.FrontDoor,
        }, new Grpc.Core.Metadata { { "authorization", "Bearer " + TestTokens.Mint("sdk-e2e-other", [Route]) } });
        proxy.Refusing = false;
        await client.FlushOutboxAsync().WaitAsync(HangGuard);

        Assert.Equal(Edge.V1.ProofStatus.Received, other.Status);
        var refused = Assert.Single(receipts, r => r.ProofId == proofId);
        Assert.Equal(ProofStatus.Rejected, refused.Status);
        Assert.Contains("already used by another device", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(0, client.GetOutboxStatus().Proofs);
    }

    [Fact]
    public async Task Proof_WithAPhotoTheGatewayRefuses_RejectedWithThePhotoReason()
    {
        var options = TestClients.Options(gateway.Address, deviceId: "sdk-e2e-bad-photo");
        await using var client = new EdgeClient(options);
        var stop = await PlainStopAsync(client);
        var receipts = new ConcurrentQueue<ProofReceipt>();
        client.ReceiptReceived += (_, receipt) => receipts.Enqueue(receipt);
        var good = File.ReadAllBytes(TestPhotos.Jpeg(_photos, 640, 480, seed: 23));
        var truncated = Path.Combine(_photos, "truncated.jpg");
        await File.WriteAllBytesAsync(truncated, good[..(good.Length / 2)]);

        var proofId = await client.SubmitProofAsync(ProofAt(stop, truncated));
        await client.FlushOutboxAsync().WaitAsync(HangGuard);

        var refused = Assert.Single(receipts, r => r.ProofId == proofId);
        Assert.Equal((ProofStatus.Rejected, PhotoRejectionReason.Damaged), (refused.Status, refused.PhotoRejection));
        Assert.Contains("InvalidArgument", refused.Reason, StringComparison.Ordinal);

        // Rejected is not delivered: the app's photo stays for the driver to see.
        Assert.True(File.Exists(truncated));
    }

    /// <summary>The route's first stop that takes photos, as the driver's app finds it in the manifest.</summary>
    private static async Task<RouteStop> PlainStopAsync(EdgeClient client)
    {
        var manifest = await client.GetManifestAsync(Route);
        return manifest.Stops.First(s => !s.Confidential && !s.PhotoOptOut && s.Packages.Count > 0);
    }

    private static ProofOfDelivery ProofAt(RouteStop stop, string photo, string? stopId = null) => new()
    {
        RouteId = Route,
        StopId = stopId ?? stop.StopId,
        PackageIds = [stop.Packages[0].PackageId],
        PlaceLeft = PlaceLeft.FrontDoor,
        Location = new DeviceLocation(stop.Latitude, stop.Longitude, 8),
        PhotoPaths = [photo],
    };
}

/// <summary>A gateway that takes fewer scans per call than the client sends.</summary>
public sealed class SmallBatchGatewayTests : IAsyncLifetime
{
    private readonly GatewayFixture _gateway = new(["--Edge:Intake:MaxScanBatch", "4"]);

    public Task InitializeAsync() => _gateway.InitializeAsync();

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Scans_GatewayAnswersBatchTooLarge_SentInSmallerBatchesNoneSetAside()
    {
        var options = TestClients.Options(_gateway.Address, deviceId: "sdk-e2e-batches");
        options.ScanBatchSize = 20;
        options.ScanLinger = TimeSpan.FromMilliseconds(300);
        await using var client = new EdgeClient(options);
        var rejected = new ConcurrentQueue<RejectedScan>();
        client.ScanRejected += (_, scan) => rejected.Enqueue(scan);
        var eventIds = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            eventIds.Add(await client.RecordScanAsync(new Scan { Barcode = $"SMALL-{i:D2}", Type = ScanType.Loaded, RouteId = "R-0001" }));
        }

        await client.FlushOutboxAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(rejected);
        var admin = _gateway.CoreAdmin;
        await Eventually.TrueAsync(() => eventIds.All(admin.ListScans(new Empty()).AcceptedEventIds.Contains), "the core has every scan");
    }
}

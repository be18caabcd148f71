using System.Collections.Concurrent;
using Edge.Client.Tests.Infrastructure;

namespace Edge.Client.Tests.Outbox;

/// <summary>
/// The outbox against a fake of the edge.v1 scans, proofs and uploads services over real HTTP/2: what is queued while
/// there is no signal survives an app restart and drains when the gateway comes back, and leaves the device only when
/// the gateway has it (scans) or the core committed it (proofs).
/// </summary>
public sealed class OutboxTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly string _photos = TestClients.NewDirectory("edge-outbox-photos-");
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Outbox_QueuedWithoutSignal_SurvivesRestartAndDrainsWhenGatewayReturns()
    {
        var outbox = TestClients.NewDirectory("edge-outbox-offline-");
        await using var proxy = new FaultyProxy(_gateway.Address) { Refusing = true };
        var photoPaths = new[] { TestPhotos.Jpeg(_photos, 320, 240, seed: 10), TestPhotos.Jpeg(_photos, 320, 240, seed: 11) };
        var photoBytes = photoPaths.Select(File.ReadAllBytes).ToList();
        var eventIds = new List<string>();
        string proofId;
        await using (var offline = new EdgeClient(TestClients.Options(proxy.Address, outbox)))
        {
            for (var i = 0; i < 25; i++)
            {
                eventIds.Add(await offline.RecordScanAsync(new Scan { Barcode = $"PKG-{i:D4}", Type = ScanType.Delivered, RouteId = "R-0001" }));
            }

            proofId = await offline.SubmitProofAsync(new ProofOfDelivery
            {
                RouteId = "R-0001",
                StopId = "S-01",
                PackageIds = ["P-1", "P-2"],
                PlaceLeft = PlaceLeft.FrontDoor,
                Location = new DeviceLocation(52.52, 13.40, 8),
                PhotoPaths = photoPaths,
            });
            Assert.Equal(new OutboxStatus(25, 1, 2), offline.GetOutboxStatus());
        }

        // The app deleted its own copies of the photos: the outbox has its own.
        foreach (var path in photoPaths)
        {
            File.Delete(path);
        }

        proxy.Refusing = false;
        await using var online = new EdgeClient(TestClients.Options(proxy.Address, outbox));
        var receipts = new ConcurrentQueue<ProofReceipt>();
        online.ReceiptReceived += (_, receipt) => receipts.Enqueue(receipt);
        var state = _gateway.State;
        await Eventually.TrueAsync(() => state.Proofs.ContainsKey(proofId), "the proof reached the gateway");

        // Received is not committed: the device keeps its copy.
        Assert.Equal(1, online.GetOutboxStatus().Proofs);
        state.Commit(proofId);
        await online.FlushOutboxAsync().WaitAsync(HangGuard);

        Assert.Equal(eventIds.Order(), state.Scans.Keys.Order());
        Assert.All(state.ScanBatchSizes, size => Assert.InRange(size, 1, 20));
        var proof = state.Proofs[proofId];
        Assert.Equal(["P-1", "P-2"], proof.PackageIds);
        Assert.Equal(52.52, proof.Location.Latitude);
        Assert.All(photoBytes, bytes => Assert.Contains(state.Blobs.Values, blob => blob.SequenceEqual(bytes)));
        var log = state.Log.ToList();
        var submitted = log.IndexOf("proof:" + proofId);
        Assert.All(proof.PhotoSha256, digest => Assert.InRange(log.IndexOf("upload-done:" + digest), 0, submitted - 1));
        Assert.Contains(receipts, r => r.ProofId == proofId && r.Status == ProofStatus.Committed);
        Assert.Equal(new OutboxStatus(0, 0, 0), online.GetOutboxStatus());
    }

    [Fact]
    public async Task Scans_GatewayFailsThenRejectsOne_RetriedAndRejectedOneSetAside()
    {
        _gateway.State.ScanFailures = 2;
        await using var client = new EdgeClient(TestClients.Options(_gateway.Address));
        var rejected = new ConcurrentQueue<RejectedScan>();
        client.ScanRejected += (_, scan) => rejected.Enqueue(scan);

        var good = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            good.Add(await client.RecordScanAsync(new Scan { Barcode = $"PKG-{i}", Type = ScanType.Loaded }));
        }

        var bad = await client.RecordScanAsync(new Scan { Barcode = "BAD-1", Type = ScanType.Loaded });
        await client.FlushOutboxAsync().WaitAsync(HangGuard);

        Assert.Equal(good.Order(), _gateway.State.Scans.Keys.Order());
        var refused = Assert.Single(rejected);
        Assert.Equal(bad, refused.EventId);
        Assert.Equal("unknown barcode", refused.Reason);
        Assert.Equal(0, client.GetOutboxStatus().Scans);
    }

    [Fact]
    public async Task Proof_ReceiptStreamNotServed_CommitLearntByPolling()
    {
        _gateway.State.WatchReceiptsServed = false;
        var options = TestClients.Options(_gateway.Address);
        options.ReceiptPollInterval = TimeSpan.FromMilliseconds(200);
        await using var client = new EdgeClient(options);

        var proofId = await client.SubmitProofAsync(new ProofOfDelivery { RouteId = "R-0001", StopId = "S-02", PackageIds = ["P-9"] });
        await Eventually.TrueAsync(() => _gateway.State.Proofs.ContainsKey(proofId), "the proof reached the gateway");
        _gateway.State.Commit(proofId);
        await client.FlushOutboxAsync().WaitAsync(HangGuard);

        Assert.Equal(0, client.GetOutboxStatus().Proofs);
    }

    [Fact]
    public async Task UploadPhoto_ChunkRefused_ResentFromExpectedOffsetOnSameStream()
    {
        var path = TestPhotos.Jpeg(_photos, 1200, 900, seed: 12);
        _gateway.State.CorruptChunkAt = 64 * 1024;
        await using var client = new EdgeClient(TestClients.Options(_gateway.Address));

        var uploaded = await client.UploadPhotoAsync(path);

        Assert.Equal(File.ReadAllBytes(path), _gateway.State.Blobs[uploaded.Sha256]);
        Assert.Single(_gateway.State.Log, entry => entry.StartsWith("upload-start:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UploadPhoto_DataLoss_StartsOverOnce()
    {
        var path = TestPhotos.Jpeg(_photos, 640, 480, seed: 13);
        _gateway.State.DataLossOnce = true;
        await using var client = new EdgeClient(TestClients.Options(_gateway.Address));

        var uploaded = await client.UploadPhotoAsync(path);

        Assert.Equal(File.ReadAllBytes(path), _gateway.State.Blobs[uploaded.Sha256]);
        Assert.Equal(2, _gateway.State.Log.Count(entry => entry.StartsWith("upload-start:", StringComparison.Ordinal)));
    }
}

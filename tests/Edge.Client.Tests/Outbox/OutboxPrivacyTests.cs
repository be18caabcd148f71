using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Edge.Client.Tests.Infrastructure;

namespace Edge.Client.Tests.Outbox;

/// <summary>
/// What the outbox leaves on the device: nothing readable without the app's key, nothing usable that was changed on
/// the disk, no delivery photo once its proof is committed, and nothing an id from the gateway could name by pattern.
/// Against the fake gateway over real HTTP/2.
/// </summary>
public sealed class OutboxPrivacyTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly string _photos = TestClients.NewDirectory("edge-privacy-photos-");
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Outbox_QueuedOffline_NothingReadableOnDisk_DeliveredAfterRestartWithTheKey()
    {
        var outbox = TestClients.NewDirectory("edge-outbox-sealed-");
        await using var proxy = new FaultyProxy(_gateway.Address) { Refusing = true };
        var photo = TestPhotos.Jpeg(_photos, 640, 480, seed: 40);
        var photoBytes = await File.ReadAllBytesAsync(photo);
        string proofId;
        await using (var offline = new EdgeClient(TestClients.Options(proxy.Address, outbox)))
        {
            await offline.RecordScanAsync(new Scan { Barcode = "SECRET-BARCODE-0001", Type = ScanType.Delivered, RouteId = "R-0001" });
            proofId = await offline.SubmitProofAsync(new ProofOfDelivery
            {
                RouteId = "R-0001",
                StopId = "S-01",
                PackageIds = ["P-1"],
                Location = new DeviceLocation(52.5200, 13.4050, 8),
                PhotoPaths = [photo],
                Note = "SECRET-NOTE: left with Mrs Example at 12 Sample Street",
            });
        }

        // Not a barcode, a note, a proof id or 64 bytes of the photo anywhere in the outbox's files.
        var files = Directory.EnumerateFiles(outbox, "*", SearchOption.AllDirectories).ToList();
        var secrets = new[] { Encoding.UTF8.GetBytes("SECRET-BARCODE"), Encoding.UTF8.GetBytes("SECRET-NOTE"), Encoding.UTF8.GetBytes(proofId), photoBytes[1000..1064] };
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.All(secrets, secret => Assert.True(bytes.AsSpan().IndexOf(secret) < 0, $"{file} holds plaintext"));
        }

        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in files)
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            foreach (var directory in Directory.EnumerateDirectories(outbox, "*", SearchOption.AllDirectories).Append(outbox))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            }
        }

        proxy.Refusing = false;
        await using var online = new EdgeClient(TestClients.Options(proxy.Address, outbox));
        await Eventually.TrueAsync(() => _gateway.State.Proofs.ContainsKey(proofId), "the proof reached the gateway");
        _gateway.State.Commit(proofId);
        await online.FlushOutboxAsync().WaitAsync(HangGuard);

        var proof = _gateway.State.Proofs[proofId];
        Assert.Equal("SECRET-NOTE: left with Mrs Example at 12 Sample Street", proof.Note);
        Assert.Equal(photoBytes, _gateway.State.Blobs[Assert.Single(proof.PhotoSha256)]);
        Assert.Equal("SECRET-BARCODE-0001", Assert.Single(_gateway.State.Scans.Values).Barcode);
    }

    [Fact]
    public async Task Outbox_OpenedWithAnotherKeyOrNone_RefusedAndLeftAsItWas()
    {
        var outbox = TestClients.NewDirectory("edge-outbox-key-");
        await using var proxy = new FaultyProxy(_gateway.Address) { Refusing = true };
        await using (var client = new EdgeClient(TestClients.Options(proxy.Address, outbox)))
        {
            await client.RecordScanAsync(new Scan { Barcode = "PKG-KEY", Type = ScanType.Loaded });
        }

        var before = Snapshot(outbox);
        var otherKey = TestClients.Options(proxy.Address, outbox);
        otherKey.OutboxKey = RandomNumberGenerator.GetBytes(32);
        var noKey = TestClients.Options(proxy.Address, outbox);
        noKey.OutboxKey = null;
        noKey.UnencryptedOutbox = true;

        Assert.Throws<CryptographicException>(() => new EdgeClient(otherKey));
        Assert.Throws<CryptographicException>(() => new EdgeClient(noKey));
        noKey.UnencryptedOutbox = false;
        Assert.Throws<ArgumentException>(() => new EdgeClient(noKey));

        Assert.Equal(before, Snapshot(outbox));
        await using var again = new EdgeClient(TestClients.Options(proxy.Address, outbox));
        Assert.Equal(new OutboxStatus(1, 0, 0), again.GetOutboxStatus());
    }

    [Fact]
    public async Task Outbox_FilesChangedOrSwappedOnDisk_MovedAsideAndReported_OthersDelivered()
    {
        var outbox = TestClients.NewDirectory("edge-outbox-tamper-");
        await using var proxy = new FaultyProxy(_gateway.Address) { Refusing = true };
        var ids = new List<string>();
        await using (var offline = new EdgeClient(TestClients.Options(proxy.Address, outbox)))
        {
            for (var i = 0; i < 4; i++)
            {
                ids.Add(await offline.RecordScanAsync(new Scan { Barcode = $"PKG-T{i}", Type = ScanType.Loaded }));
            }
        }

        var scans = Directory.GetFiles(Path.Combine(outbox, "scans")).Order(StringComparer.Ordinal).ToArray();
        var flipped = await File.ReadAllBytesAsync(scans[0]);
        flipped[^20] ^= 0x01;
        await File.WriteAllBytesAsync(scans[0], flipped);
        var second = await File.ReadAllBytesAsync(scans[1]);
        await File.WriteAllBytesAsync(scans[1], await File.ReadAllBytesAsync(scans[2]));
        await File.WriteAllBytesAsync(scans[2], second);

        proxy.Refusing = false;
        await using var online = new EdgeClient(TestClients.Options(proxy.Address, outbox));
        var damaged = new ConcurrentQueue<DamagedOutboxFile>();
        online.OutboxFileDamaged += (_, file) => damaged.Enqueue(file);
        await online.FlushOutboxAsync().WaitAsync(HangGuard);

        Assert.Equal([ids[3]], _gateway.State.Scans.Keys);
        Assert.Equal(3, damaged.Count);
        Assert.All(damaged, file =>
        {
            Assert.Equal(OutboxEntryKind.Scan, file.Kind);
            Assert.True(File.Exists(file.Path), file.Path);
            Assert.Equal(Path.Combine(outbox, "damaged"), Path.GetDirectoryName(file.Path));
        });
        Assert.Equal(new OutboxStatus(0, 0, 0) { Damaged = 3 }, online.GetOutboxStatus());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_Committed_OriginalPhotoDeletedUnlessKept(bool keep)
    {
        var photo = TestPhotos.Jpeg(_photos, 320, 240, seed: keep ? 41 : 42);
        var changed = TestPhotos.Jpeg(_photos, 320, 240, seed: keep ? 43 : 44);
        var options = TestClients.Options(_gateway.Address);
        options.KeepOriginalPhotos = keep;
        await using var client = new EdgeClient(options);

        var proofId = await client.SubmitProofAsync(new ProofOfDelivery { RouteId = "R-0001", StopId = "S-03", PackageIds = ["P-3"], PhotoPaths = [photo, changed] });
        // The app reused this path for another photo before the commit: that one is not the SDK's to delete.
        await File.WriteAllBytesAsync(changed, RandomNumberGenerator.GetBytes(1000));
        await Eventually.TrueAsync(() => _gateway.State.Proofs.ContainsKey(proofId), "the proof reached the gateway");

        Assert.True(File.Exists(photo)); // the gateway has it, the core not yet
        _gateway.State.Commit(proofId);
        await client.FlushOutboxAsync().WaitAsync(HangGuard);

        Assert.Equal(keep, File.Exists(photo));
        Assert.True(File.Exists(changed));
        Assert.Equal(new OutboxStatus(0, 0, 0), client.GetOutboxStatus());
    }

    [Fact]
    public async Task Receipt_ForProofIdStar_RemovesNothing()
    {
        var options = TestClients.Options(_gateway.Address);
        await using var client = new EdgeClient(options);
        var first = await client.SubmitProofAsync(new ProofOfDelivery { RouteId = "R-0001", StopId = "S-04", PackageIds = ["P-4"] });
        var second = await client.SubmitProofAsync(new ProofOfDelivery { RouteId = "R-0001", StopId = "S-05", PackageIds = ["P-5"] });
        await Eventually.TrueAsync(() => _gateway.State.Proofs.ContainsKey(first) && _gateway.State.Proofs.ContainsKey(second), "the proofs reached the gateway");
        var receipts = new ConcurrentQueue<ProofReceipt>();
        client.ReceiptReceived += (_, receipt) => receipts.Enqueue(receipt);

        foreach (var pattern in new[] { "*", "*.proof", "?", "../proofs/*" })
        {
            _gateway.State.SetStatus(pattern, Edge.V1.ProofStatus.Committed);
            _gateway.State.SetStatus(pattern, Edge.V1.ProofStatus.Rejected);
        }

        // A receipt sent after those arrives after them on the same stream: once it is seen, they were handled.
        _gateway.State.Commit(first);
        await Eventually.TrueAsync(() => receipts.Any(r => r.ProofId == first), "the real receipt arrived");

        Assert.Equal(1, client.GetOutboxStatus().Proofs);
        Assert.Empty(Directory.GetFiles(Path.Combine(options.OutboxDirectory!, "rejected")));
        Assert.All(receipts, r => Assert.Contains(r.ProofId, new[] { first, second }));
        _gateway.State.Commit(second);
        await client.FlushOutboxAsync().WaitAsync(HangGuard);
    }

    private static Dictionary<string, string> Snapshot(string directory)
        => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(directory, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}

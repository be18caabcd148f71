using Edge.Gateway.Blobs;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Proofs;
using Edge.Gateway.Storage;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>One contract for proof records (IProofStore), run against SQLite and Redis.</summary>
public abstract class ProofStoreContract : IDisposable
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);
    private static readonly string Photo = new('a', 64);

    internal abstract IProofStore Proofs { get; }

    /// <summary>The outbox of the same state, where a stored proof must be queued.</summary>
    internal abstract IOutbox Outbox { get; }

    /// <summary>The upload sessions of the same state, whose completion makes a device hold a photo.</summary>
    internal abstract IUploadSessionStore Sessions { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// Writes a proof the way the previous version did: its receipt and its request as the <c>edge.v1</c> and
    /// <c>core.v1</c> messages, with its entry in the device's receipt history.
    /// </summary>
    protected abstract Task SeedLegacyProofAsync(string proofId, string device, byte[] receipt, byte[] request, DateTimeOffset updatedAt);

    /// <summary>The stored receipt and proof of <paramref name="proofId"/>, as bytes.</summary>
    protected abstract Task<(byte[] Receipt, byte[] Proof)> ReadStoredAsync(string proofId);

    private static ProofRecord Record(string proofId, string device = "d1", DateTimeOffset? at = null, params string[] photos)
        => StoreSeeds.Proof(proofId, device, at ?? T0, photos);

    private static ReceiptRecord Receipt(string proofId, ProofState status, DateTimeOffset at, string reason = "")
        => StoreSeeds.Receipt(proofId, status, at, reason);

    [Fact]
    public async Task Add_New_IsStoredAndQueued()
    {
        await StoreSeeds.CompleteUploadAsync(Sessions, "d1", Photo, new string('b', 64), new string('c', 64), T0);
        var record = Record("p-1", photos: Photo);

        var result = await Proofs.AddAsync(record, default);
        var stored = await Proofs.GetAsync("p-1", default);
        var queued = await Outbox.TakeAsync(OutboxLane.Proofs, "c1", 10, default);

        Assert.Equal(ProofAddOutcome.Added, result.Outcome);
        Assert.NotNull(stored);
        Assert.Equal((record.DeviceId, record.Receipt), (stored.DeviceId, stored.Receipt));
        Assert.Equal(ProofWire.ToCore(record.Proof), ProofWire.ToCore(stored.Proof));
        Assert.Equal([Photo], stored.PhotoDigests);
        Assert.Equal("p-1", Assert.Single(queued).ItemId);
    }

    [Fact]
    public async Task Add_ExistingId_AnswersTheFirstRecordAndQueuesNothingMore()
    {
        await Proofs.AddAsync(Record("p-1", device: "d1"), default);

        var again = await Proofs.AddAsync(Record("p-1", device: "d2"), default);

        Assert.Equal(ProofAddOutcome.Exists, again.Outcome);
        Assert.Equal("d1", again.Existing?.DeviceId);
        Assert.Empty(again.Existing!.PhotoDigests);
        Assert.Equal(1, (await Outbox.GetBacklogAsync(OutboxLane.Proofs, default)).Depth);
    }

    [Fact]
    public async Task Add_PhotoNotOnTheGateway_StoresNothing()
    {
        var result = await Proofs.AddAsync(Record("p-1", photos: Photo), default);

        Assert.Equal(ProofAddOutcome.PhotoMissing, result.Outcome);
        Assert.Equal(Photo, result.MissingDigest);
        Assert.Null(await Proofs.GetAsync("p-1", default));
        Assert.Equal(0, (await Outbox.GetBacklogAsync(OutboxLane.Proofs, default)).Depth);
    }

    [Fact]
    public async Task SetReceipt_KnownProof_ReplacesItsReceipt()
    {
        await Proofs.AddAsync(Record("p-1"), default);
        var committed = Receipt("p-1", ProofState.Committed, T0.AddSeconds(5));

        var set = await Proofs.SetReceiptAsync("p-1", committed, default);

        Assert.True(set);
        Assert.Equal(committed, (await Proofs.GetAsync("p-1", default))?.Receipt);
    }

    [Fact]
    public async Task SetReceipt_UnknownProof_IsFalse()
        => Assert.False(await Proofs.SetReceiptAsync("nope", Receipt("nope", ProofState.Committed, T0), default));

    [Fact]
    public async Task ListChangedSince_GivesTheDevicesChangesAfterTheTimeOldestFirst()
    {
        await Proofs.AddAsync(Record("p-1", at: T0), default);
        await Proofs.AddAsync(Record("p-2", at: T0.AddSeconds(1)), default);
        await Proofs.AddAsync(Record("p-3", at: T0.AddSeconds(2)), default);
        await Proofs.AddAsync(Record("other", device: "d2", at: T0.AddSeconds(3)), default);
        await Proofs.SetReceiptAsync("p-1", Receipt("p-1", ProofState.Rejected, T0.AddSeconds(4), "refused"), default);

        var changed = await Proofs.ListChangedSinceAsync("d1", T0.AddSeconds(1), default);

        Assert.Equal(["p-3", "p-1"], changed.Select(r => r.ProofId));
        Assert.Equal(("refused", ProofState.Rejected), (changed[1].Reason, changed[1].Status));
        Assert.Empty(await Proofs.ListChangedSinceAsync("d3", T0.AddDays(-1), default));
    }

    [Fact]
    public async Task Add_StoresTheGatewaysOwnModelAsJson()
    {
        var record = Record("p-json") with { Receipt = Receipt("p-json", ProofState.Received, T0) with { PhotoReused = true, PhotoReuseReason = "flagged" } };
        await Proofs.AddAsync(record, default);

        var (receipt, proof) = await ReadStoredAsync("p-json");

        Assert.Equal(record.Receipt, ProofRecordCodec.DecodeReceipt(receipt));
        Assert.StartsWith("{\"proof_id\":\"p-json\"", System.Text.Encoding.UTF8.GetString(receipt), StringComparison.Ordinal);
        Assert.StartsWith("{\"proof_id\":\"p-json\"", System.Text.Encoding.UTF8.GetString(proof), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LegacyProof_WrittenAsMessages_IsReadChangedAndListed()
    {
        var request = LegacyRequest("p-old", "d1");
        var receipt = new V1.ProofReceipt
        {
            ProofId = "p-old", Status = V1.ProofStatus.Received, UpdatedAt = Timestamp.FromDateTimeOffset(T0),
            OffSite = true, PhotoReused = true, PhotoReuseReason = "a photo matches",
        };
        await SeedLegacyProofAsync("p-old", "d1", receipt.ToByteArray(), request.ToByteArray(), T0);

        var read = await Proofs.GetAsync("p-old", default);
        var set = await Proofs.SetReceiptAsync("p-old", read!.Receipt with { Status = ProofState.Committed, UpdatedAt = T0.AddSeconds(5) }, default);
        var after = await Proofs.GetAsync("p-old", default);
        var listed = await Proofs.ListChangedSinceAsync("d1", T0, default);

        Assert.Equal("d1", read.DeviceId);
        Assert.Equal(receipt, ProofWire.ToWire(read.Receipt));
        Assert.Equal(request, ProofWire.ToCore(read.Proof));
        Assert.True(set);
        Assert.Equal((ProofState.Committed, true, "a photo matches"), (after!.Receipt.Status, after.Receipt.OffSite, after.Receipt.PhotoReuseReason));
        Assert.Equal(request, ProofWire.ToCore(after.Proof));
        Assert.Equal(ProofState.Committed, Assert.Single(listed).Status);
    }

    /// <summary>A request with every field set, as the previous version stored it.</summary>
    internal static global::Core.V1.DeliverProofRequest LegacyRequest(string proofId, string device) => new()
    {
        ProofId = proofId,
        DeviceId = device,
        DriverId = "driver-7",
        RouteId = "R-1",
        StopId = "S-1",
        PackageIds = { "P-1", "P-2" },
        DeliveredAt = Timestamp.FromDateTimeOffset(T0.AddMinutes(-2)),
        Location = new global::Core.V1.DeviceLocation { Latitude = 52.37, Longitude = 4.89, AccuracyMeters = 8 },
        PlaceLeft = global::Core.V1.PlaceLeft.Neighbour,
        Photos = { new global::Core.V1.ProofPhoto { StoredSha256 = new string('e', 64), ThumbnailSha256 = new string('f', 64), DeviceSha256 = new string('a', 64), ContentType = "image/jpeg" } },
        OffSite = true,
        Note = "next door",
        GatewayReceivedAt = Timestamp.FromDateTimeOffset(T0),
        PhotoReuse = new global::Core.V1.PhotoReuse
        {
            Kind = global::Core.V1.PhotoReuse.Types.Kind.Reused, EarlierProofId = "p-0", EarlierDeviceId = "d9", EarlierRouteId = "R-9",
            EarlierStopId = "S-9", EarlierReceivedAt = Timestamp.FromDateTimeOffset(T0.AddDays(-1)), Distance = 3, Threshold = 6,
            PhotoSha256 = new string('e', 64), Matches = 2,
        },
    };
}

public sealed class SqliteProofStoreTests : ProofStoreContract
{
    private readonly SqliteBackend _backend = new(new FakeTimeProvider(T0));

    public SqliteProofStoreTests()
    {
        var store = new SqliteProofStore(_backend.Database, _backend.Forwarding, _backend.Clock);
        Proofs = store;
        Outbox = new SqliteOutbox(_backend.Database, _backend.Forwarding, _backend.Clock);
        Sessions = new SqliteUploadSessionStore(_backend.Database);
    }

    internal override IProofStore Proofs { get; }

    internal override IOutbox Outbox { get; }

    internal override IUploadSessionStore Sessions { get; }

    protected override Task SeedLegacyProofAsync(string proofId, string device, byte[] receipt, byte[] request, DateTimeOffset updatedAt)
    {
        using var connection = _backend.Database.Open();
        SqliteDatabase.Execute(connection, null,
            "INSERT INTO proofs (proof_id, device_id, receipt, request, photos, updated_ms) VALUES ($id, $device, $receipt, $request, '', $now)",
            ("$id", proofId), ("$device", device), ("$receipt", receipt), ("$request", request), ("$now", updatedAt.ToUnixTimeMilliseconds()));
        return Task.CompletedTask;
    }

    protected override Task<(byte[] Receipt, byte[] Proof)> ReadStoredAsync(string proofId)
    {
        using var connection = _backend.Database.Open();
        var receipt = (byte[])SqliteDatabase.Scalar(connection, null, "SELECT receipt FROM proofs WHERE proof_id = $id", ("$id", proofId))!;
        var proof = (byte[])SqliteDatabase.Scalar(connection, null, "SELECT request FROM proofs WHERE proof_id = $id", ("$id", proofId))!;
        return Task.FromResult((receipt, proof));
    }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisProofStoreTests : ProofStoreContract
{
    private readonly RedisBackend _backend;

    public RedisProofStoreTests(RedisServer server)
    {
        _backend = new RedisBackend(server, new FakeTimeProvider(T0));
        Proofs = new RedisProofStore(_backend.Redis, _backend.Keys, _backend.Forwarding);
        Outbox = new RedisOutbox(_backend.Redis, _backend.Keys, _backend.Forwarding, _backend.Clock);
        Sessions = new RedisUploadSessionStore(_backend.Redis, _backend.Keys);
    }

    internal override IProofStore Proofs { get; }

    internal override IOutbox Outbox { get; }

    internal override IUploadSessionStore Sessions { get; }

    protected override async Task SeedLegacyProofAsync(string proofId, string device, byte[] receipt, byte[] request, DateTimeOffset updatedAt)
    {
        var db = _backend.Redis.GetDatabase();
        await db.HashSetAsync(_backend.Keys.Proof(proofId), [new("d", device), new("r", receipt), new("q", request), new("ph", "")]);
        await db.SortedSetAddAsync(_backend.Keys.DeviceReceipts(device), proofId, updatedAt.ToUnixTimeMilliseconds());
    }

    protected override async Task<(byte[] Receipt, byte[] Proof)> ReadStoredAsync(string proofId)
    {
        var values = await _backend.Redis.GetDatabase().HashGetAsync(_backend.Keys.Proof(proofId), ["r", "q"]);
        return ((byte[])values[0]!, (byte[])values[1]!);
    }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

using Edge.Gateway.Blobs;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Proofs;
using Edge.Gateway.Storage;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
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

    private static ProofRecord Record(string proofId, string device = "d1", DateTimeOffset? at = null, params string[] photos)
        => new(device,
            new ProofReceipt { ProofId = proofId, Status = ProofStatus.Received, UpdatedAt = Timestamp.FromDateTimeOffset(at ?? T0) },
            new global::Core.V1.DeliverProofRequest { ProofId = proofId, DeviceId = device, RouteId = "R-1", StopId = "S-1", PackageIds = { "P-1" } },
            photos);

    private static ProofReceipt Receipt(string proofId, ProofStatus status, DateTimeOffset at, string reason = "")
        => new() { ProofId = proofId, Status = status, Reason = reason, UpdatedAt = Timestamp.FromDateTimeOffset(at) };

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
        Assert.Equal((record.DeviceId, record.Receipt, record.Request), (stored.DeviceId, stored.Receipt, stored.Request));
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
        var committed = Receipt("p-1", ProofStatus.Committed, T0.AddSeconds(5));

        var set = await Proofs.SetReceiptAsync("p-1", committed, default);

        Assert.True(set);
        Assert.Equal(committed, (await Proofs.GetAsync("p-1", default))?.Receipt);
    }

    [Fact]
    public async Task SetReceipt_UnknownProof_IsFalse()
        => Assert.False(await Proofs.SetReceiptAsync("nope", Receipt("nope", ProofStatus.Committed, T0), default));

    [Fact]
    public async Task ListChangedSince_GivesTheDevicesChangesAfterTheTimeOldestFirst()
    {
        await Proofs.AddAsync(Record("p-1", at: T0), default);
        await Proofs.AddAsync(Record("p-2", at: T0.AddSeconds(1)), default);
        await Proofs.AddAsync(Record("p-3", at: T0.AddSeconds(2)), default);
        await Proofs.AddAsync(Record("other", device: "d2", at: T0.AddSeconds(3)), default);
        await Proofs.SetReceiptAsync("p-1", Receipt("p-1", ProofStatus.Rejected, T0.AddSeconds(4), "refused"), default);

        var changed = await Proofs.ListChangedSinceAsync("d1", T0.AddSeconds(1), default);

        Assert.Equal(["p-3", "p-1"], changed.Select(r => r.ProofId));
        Assert.Equal(("refused", ProofStatus.Rejected), (changed[1].Reason, changed[1].Status));
        Assert.Empty(await Proofs.ListChangedSinceAsync("d3", T0.AddDays(-1), default));
    }
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

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

using Edge.Gateway.Blobs;
using Edge.Gateway.Storage;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>One contract, run against every implementation of the upload state (embedded SQLite and Redis).</summary>
public abstract class UploadSessionStoreContract : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    internal abstract IUploadSessionStore Sessions { get; }

    internal abstract IBlobIndex Blobs { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static UploadClaim Claim(string id, string device = "d1", string sha = "aa", long size = 1000, DateTimeOffset? now = null,
        int maxUploads = 4, long maxStaging = 1_000_000, bool onlyIfIdle = false)
    {
        var at = now ?? T0;
        return new UploadClaim(id, device, sha.PadRight(64, '0'), size, "image/jpeg", at, at.AddMinutes(2), maxUploads, maxStaging, onlyIfIdle);
    }

    private static BlobRecord Record(UploadSession session, string stored = "5")
        => new(session.Sha256, stored.PadRight(64, '5'), 1000, "image/jpeg",
            new PhotoFacts(640, 480, "JPEG", PhotoVerdict.Ok, 0.5, 900, stored.PadRight(64, '7'), "00ff00ff00ff00ff", true));

    [Fact]
    public async Task Claim_New_CreatesAtOffsetZeroWithOneSegment()
    {
        var result = await Sessions.ClaimAsync(Claim("c1"), default);

        Assert.Equal(ClaimOutcome.Claimed, result.Outcome);
        Assert.False(result.Existed);
        Assert.Equal(0, result.Session!.CommittedOffset);
        Assert.Equal([new StagingSegment(1, 0)], result.Session.Segments);
        Assert.Equal(1000, await Sessions.GetReservedStagingBytesAsync(default));
    }

    [Fact]
    public async Task Claim_Again_OpensANewEpochAndSegmentAtTheCommittedOffset()
    {
        var first = (await Sessions.ClaimAsync(Claim("c2"), default)).Session!;
        Assert.True(await Sessions.TryCommitAsync(first, 300, T0, T0.AddMinutes(2), default));

        var second = await Sessions.ClaimAsync(Claim("c2", now: T0.AddSeconds(1)), default);

        Assert.Equal(ClaimOutcome.Claimed, second.Outcome);
        Assert.True(second.Existed);
        Assert.True(second.TookOver); // the first writer's lease was still live
        Assert.Equal(2, second.Session!.Epoch);
        Assert.Equal(300, second.Session.CommittedOffset);
        Assert.Equal([new StagingSegment(1, 0), new StagingSegment(2, 300)], second.Session.Segments);
        Assert.Equal(1000, await Sessions.GetReservedStagingBytesAsync(default));
    }

    [Fact]
    public async Task Commit_ByATakenOverWriter_IsRefusedAndChangesNothing()
    {
        var old = (await Sessions.ClaimAsync(Claim("c3"), default)).Session!;
        var current = (await Sessions.ClaimAsync(Claim("c3"), default)).Session!;

        Assert.False(await Sessions.TryCommitAsync(old, 500, T0, T0.AddMinutes(2), default));
        Assert.False((await Sessions.TryCompleteAsync(old, Record(old), T0, default)).Completed);
        Assert.Null(await Blobs.GetAsync(old.Sha256, default));
        Assert.True(await Sessions.TryCommitAsync(current, 200, T0, T0.AddMinutes(2), default));
        Assert.Equal(200, (await Sessions.GetAsync("c3", default))!.CommittedOffset);
    }

    [Fact]
    public async Task Complete_ReleasesTheReservationAndLaterClaimsSeeCompleted()
    {
        var session = (await Sessions.ClaimAsync(Claim("c4"), default)).Session!;
        Assert.True(await Sessions.TryCommitAsync(session, 1000, T0, T0.AddMinutes(2), default));
        var blob = Record(session);

        var completed = await Sessions.TryCompleteAsync(session, blob, T0, default);
        var again = await Sessions.ClaimAsync(Claim("c4"), default);

        Assert.True(completed.Completed);
        Assert.True(completed.Added);
        Assert.Equal(blob, completed.Record);
        Assert.Equal(ClaimOutcome.Completed, again.Outcome);
        Assert.Equal(blob, again.Session!.Blob);
        Assert.Equal(blob, await Blobs.GetOwnedAsync("d1", session.Sha256, default));
        Assert.Null(await Blobs.GetOwnedAsync("d2", session.Sha256, default));
        Assert.Equal(UploadState.Completed, again.Session.State);
        Assert.Equal(0, await Sessions.GetReservedStagingBytesAsync(default));
    }

    [Fact]
    public async Task Claim_ByAnotherDevice_IsRefused()
    {
        await Sessions.ClaimAsync(Claim("c5", device: "d1"), default);

        var other = await Sessions.ClaimAsync(Claim("c5", device: "d2"), default);

        Assert.Equal(ClaimOutcome.OtherDevice, other.Outcome);
        Assert.Null(other.Session);
    }

    [Fact]
    public async Task Claim_ForAnotherObject_IsRefused()
    {
        await Sessions.ClaimAsync(Claim("c6", sha: "aa"), default);

        Assert.Equal(ClaimOutcome.DifferentObject, (await Sessions.ClaimAsync(Claim("c6", sha: "bb"), default)).Outcome);
        Assert.Equal(ClaimOutcome.DifferentObject, (await Sessions.ClaimAsync(Claim("c6", sha: "aa", size: 999), default)).Outcome);
    }

    [Fact]
    public async Task Claim_PastTheDeviceLimit_IsRefusedUntilALeaseEndsOrIsReleased()
    {
        var a = (await Sessions.ClaimAsync(Claim("l1", device: "dl", maxUploads: 2), default)).Session!;
        await Sessions.ClaimAsync(Claim("l2", device: "dl", maxUploads: 2), default);

        var third = await Sessions.ClaimAsync(Claim("l3", device: "dl", maxUploads: 2), default);
        var resumeOfHeld = await Sessions.ClaimAsync(Claim("l2", device: "dl", maxUploads: 2), default);
        await Sessions.ReleaseAsync(a, default);
        var afterRelease = await Sessions.ClaimAsync(Claim("l3", device: "dl", maxUploads: 2), default);
        var afterLeasesEnd = await Sessions.ClaimAsync(Claim("l4", device: "dl", maxUploads: 2, now: T0.AddMinutes(3)), default);

        Assert.Equal(ClaimOutcome.TooManyUploads, third.Outcome);
        Assert.Equal(ClaimOutcome.Claimed, resumeOfHeld.Outcome);
        Assert.Equal(ClaimOutcome.Claimed, afterRelease.Outcome);
        Assert.Equal(ClaimOutcome.Claimed, afterLeasesEnd.Outcome);
    }

    [Fact]
    public async Task Claim_PastTheStagingQuota_IsRefused()
    {
        await Sessions.ClaimAsync(Claim("q1", device: "dq1", size: 600, maxStaging: 1000), default);

        var second = await Sessions.ClaimAsync(Claim("q2", device: "dq2", size: 600, maxStaging: 1000), default);

        Assert.Equal(ClaimOutcome.StagingFull, second.Outcome);
        Assert.Null(await Sessions.GetAsync("q2", default));
    }

    [Fact]
    public async Task Expire_RemovesOnlySessionsStillIdle()
    {
        var idle = (await Sessions.ClaimAsync(Claim("e1", device: "de1"), default)).Session!;
        var busy = (await Sessions.ClaimAsync(Claim("e2", device: "de2"), default)).Session!;
        Assert.True(await Sessions.TryCommitAsync(busy, 10, T0.AddHours(2), T0.AddHours(2), default));

        var listed = await Sessions.ListIdleAsync(T0.AddHours(1), 10, default);
        var expired = await Sessions.TryExpireAsync("e1", T0.AddHours(1), default);
        var notExpired = await Sessions.TryExpireAsync("e2", T0.AddHours(1), default);

        Assert.Equal(["e1"], listed.Select(s => s.UploadId));
        Assert.True(expired);
        Assert.False(notExpired);
        Assert.Null(await Sessions.GetAsync(idle.UploadId, default));
        Assert.Equal(1000, await Sessions.GetReservedStagingBytesAsync(default));
    }

    [Fact]
    public async Task Discard_RemovesTheSessionAndItsReservation()
    {
        var session = (await Sessions.ClaimAsync(Claim("x1"), default)).Session!;

        await Sessions.DiscardAsync(session, default);

        Assert.Null(await Sessions.GetAsync("x1", default));
        Assert.Equal(0, await Sessions.GetReservedStagingBytesAsync(default));
    }

    [Fact]
    public async Task Complete_OfADigestStoredAlready_KeepsTheFirstRecordAndAddsTheHold()
    {
        var first = (await Sessions.ClaimAsync(Claim("s1", device: "da", sha: "ab"), default)).Session!;
        var second = (await Sessions.ClaimAsync(Claim("s2", device: "db", sha: "ab"), default)).Session!;

        var a = await Sessions.TryCompleteAsync(first, Record(first, "1"), T0, default);
        var b = await Sessions.TryCompleteAsync(second, Record(second, "2"), T0, default);

        Assert.True(a.Added);
        Assert.False(b.Added);
        Assert.Equal(a.Record, b.Record);
        Assert.Equal(a.Record, (await Sessions.GetAsync("s2", default))!.Blob);
        Assert.NotNull(await Blobs.GetOwnedAsync("db", first.Sha256, default));
        Assert.False(await Blobs.IsFileReferencedAsync("2".PadRight(64, '5'), default));
        Assert.True(await Blobs.IsFileReferencedAsync("1".PadRight(64, '5'), default));
    }

    [Fact]
    public async Task Claim_AgainWithoutProgress_ReplacesTheEmptySegmentInsteadOfAddingOne()
    {
        var first = (await Sessions.ClaimAsync(Claim("g1"), default)).Session!;
        Assert.True(await Sessions.TryCommitAsync(first, 400, T0, T0.AddMinutes(2), default));
        await Sessions.ClaimAsync(Claim("g1"), default);
        await Sessions.ClaimAsync(Claim("g1"), default);

        var fourth = (await Sessions.ClaimAsync(Claim("g1"), default)).Session!;

        Assert.Equal(4, fourth.Epoch);
        Assert.Equal([new StagingSegment(1, 0), new StagingSegment(4, 400)], fourth.Segments);
    }

    [Fact]
    public async Task Claim_OnlyIfIdle_LeavesALiveWriterAlone()
    {
        var live = (await Sessions.ClaimAsync(Claim("i1"), default)).Session!;

        var refused = await Sessions.ClaimAsync(Claim("i1", onlyIfIdle: true), default);
        var afterLease = await Sessions.ClaimAsync(Claim("i1", onlyIfIdle: true, now: T0.AddMinutes(3)), default);

        Assert.Equal(ClaimOutcome.WriterActive, refused.Outcome);
        Assert.Equal(ClaimOutcome.Claimed, afterLease.Outcome);
        Assert.Equal(live.Epoch + 1, afterLease.Session!.Epoch);
    }
}

public sealed class SqliteUploadSessionStoreTests : UploadSessionStoreContract
{
    private readonly SqliteBackend _backend = new(new FakeTimeProvider());

    public SqliteUploadSessionStoreTests()
    {
        Sessions = new SqliteUploadSessionStore(_backend.Database);
        Blobs = new SqliteBlobIndex(_backend.Database);
    }

    internal override IUploadSessionStore Sessions { get; }

    internal override IBlobIndex Blobs { get; }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisUploadSessionStoreTests : UploadSessionStoreContract
{
    private readonly RedisBackend _backend;

    public RedisUploadSessionStoreTests(RedisServer server)
    {
        _backend = new RedisBackend(server, new FakeTimeProvider());
        Sessions = new RedisUploadSessionStore(_backend.Redis, _backend.Keys);
        Blobs = new RedisBlobIndex(_backend.Redis, _backend.Keys);
    }

    internal override IUploadSessionStore Sessions { get; }

    internal override IBlobIndex Blobs { get; }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

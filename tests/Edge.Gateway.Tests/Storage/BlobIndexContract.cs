using Edge.Gateway.Blobs;
using Edge.Gateway.Proofs;
using Edge.Gateway.Storage;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>
/// One contract for the blob index (holds per device, file reference counts, releases), run against the embedded
/// SQLite file and a real Redis. Records are added the only way the gateway adds them: by an upload's completion.
/// </summary>
public abstract class BlobIndexContract : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    internal abstract IUploadSessionStore Sessions { get; }

    internal abstract IBlobIndex Index { get; }

    internal abstract IProofStore Proofs { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static string Digest(char c) => new(c, 64);

    private Task<CompletionResult> CompleteAsync(string device, string sha, string stored, string thumbnail, DateTimeOffset? at = null)
        => StoreSeeds.CompleteUploadAsync(Sessions, device, sha, stored, thumbnail, at ?? T0);

    private async Task AddProofAsync(string proofId, string device, string sha, DateTimeOffset at)
    {
        var added = await Proofs.AddAsync(StoreSeeds.Proof(proofId, device, at, sha), default);
        Assert.Equal(ProofAddOutcome.Added, added.Outcome);
    }

    private Task<bool> FinishProofAsync(string proofId, DateTimeOffset at)
        => Proofs.SetReceiptAsync(proofId, StoreSeeds.Receipt(proofId, ProofState.Committed, at), default);

    [Fact]
    public async Task Holds_ArePerDevice()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));

        Assert.NotNull(await Index.GetOwnedAsync("d1", Digest('a'), default));
        Assert.Null(await Index.GetOwnedAsync("d2", Digest('a'), default));
        Assert.NotNull(await Index.GetAsync(Digest('a'), default));
        Assert.Equal([Digest('b')], await Index.FindMissingAsync("d1", [Digest('a'), Digest('b')], default));
        Assert.Equal([Digest('a'), Digest('b')], await Index.FindMissingAsync("d2", [Digest('a'), Digest('b')], default));
    }

    [Fact]
    public async Task Proof_MayNameOnlyItsDevicesPhotos()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));

        var added = await Proofs.AddAsync(StoreSeeds.Proof("p-other", "d2", T0, Digest('a')), default);

        Assert.Equal(ProofAddOutcome.PhotoMissing, added.Outcome);
        Assert.Null(await Proofs.GetAsync("p-other", default));
    }

    [Fact]
    public async Task ReleaseWithheld_HeldByTheDeviceAlone_RemovesTheRecordAndFreesItsFiles()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));

        var release = await Index.ReleaseWithheldAsync("d1", Digest('a'), default);

        Assert.NotNull(release?.Record);
        Assert.Equal([Digest('1'), Digest('2')], release.UnreferencedFiles.Order());
        Assert.Null(await Index.GetAsync(Digest('a'), default));
        Assert.False(await Index.IsFileReferencedAsync(Digest('1'), default));
        Assert.Equal([Digest('a')], await Index.FindMissingAsync("d1", [Digest('a')], default));
    }

    [Fact]
    public async Task ReleaseWithheld_HeldByAnotherDevice_DropsOnlyTheCallersHold()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));
        await CompleteAsync("d2", Digest('a'), Digest('3'), Digest('4'));

        var release = await Index.ReleaseWithheldAsync("d2", Digest('a'), default);
        var notHeld = await Index.ReleaseWithheldAsync("d3", Digest('a'), default);

        Assert.NotNull(release);
        Assert.Null(release.Record);
        Assert.Empty(release.UnreferencedFiles);
        Assert.Null(notHeld);
        Assert.NotNull(await Index.GetOwnedAsync("d1", Digest('a'), default));
        Assert.Null(await Index.GetOwnedAsync("d2", Digest('a'), default));
        Assert.True(await Index.IsFileReferencedAsync(Digest('1'), default));
        Assert.False(await Index.IsFileReferencedAsync(Digest('3'), default)); // the second completion's files were never counted
    }

    [Fact]
    public async Task ReleaseWithheld_OfAPhotoAProofNames_ChangesNothing()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));
        await AddProofAsync("p1", "d1", Digest('a'), T0);

        Assert.Null(await Index.ReleaseWithheldAsync("d1", Digest('a'), default));
        Assert.NotNull(await Index.GetOwnedAsync("d1", Digest('a'), default));
    }

    [Fact]
    public async Task SharedFile_StaysUntilTheLastRecordNamingItGoes()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));
        await CompleteAsync("d1", Digest('b'), Digest('1'), Digest('2'));

        var first = await Index.ReleaseWithheldAsync("d1", Digest('a'), default);
        var stillReferenced = await Index.IsFileReferencedAsync(Digest('1'), default);
        var second = await Index.ReleaseWithheldAsync("d1", Digest('b'), default);

        Assert.Empty(first!.UnreferencedFiles);
        Assert.True(stillReferenced);
        Assert.Equal([Digest('1'), Digest('2')], second!.UnreferencedFiles.Order());
    }

    [Fact]
    public async Task Retention_ReleasesOnlyAfterEveryProofIsFinalAndTheRetentionRanOut()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));
        await AddProofAsync("p-final", "d1", Digest('a'), T0);
        var far = T0.AddYears(1);

        var whilePending = await Index.ListReleasableAsync(far, DateTimeOffset.MinValue, 10, default);
        var pendingRelease = await Index.TryReleaseAsync(Digest('a'), far, DateTimeOffset.MinValue, default);
        await FinishProofAsync("p-final", T0.AddMinutes(1));
        var tooEarly = await Index.TryReleaseAsync(Digest('a'), T0, DateTimeOffset.MinValue, default);
        var listed = await Index.ListReleasableAsync(T0.AddMinutes(2), DateTimeOffset.MinValue, 10, default);
        var release = await Index.TryReleaseAsync(Digest('a'), T0.AddMinutes(2), DateTimeOffset.MinValue, default);

        Assert.DoesNotContain(Digest('a'), whilePending);
        Assert.Null(pendingRelease);
        Assert.Null(tooEarly);
        Assert.Contains(Digest('a'), listed);
        Assert.Equal([Digest('1'), Digest('2')], release!.UnreferencedFiles.Order());
        Assert.Null(await Index.GetOwnedAsync("d1", Digest('a'), default));
    }

    [Fact]
    public async Task Unclaimed_PhotoNoProofNamed_IsReleasedAfterItsRetention()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));

        var notYet = await Index.TryReleaseAsync(Digest('a'), DateTimeOffset.MinValue, T0.AddSeconds(-1), default);
        var listed = await Index.ListReleasableAsync(DateTimeOffset.MinValue, T0.AddSeconds(1), 10, default);
        var release = await Index.TryReleaseAsync(Digest('a'), DateTimeOffset.MinValue, T0.AddSeconds(1), default);

        Assert.Null(notYet);
        Assert.Equal([Digest('a')], listed);
        Assert.NotNull(release?.Record);
        Assert.Null(await Index.GetAsync(Digest('a'), default));
    }

    [Fact]
    public async Task NewUpload_OfAReleasablePhoto_RestartsItsRetention()
    {
        await CompleteAsync("d1", Digest('a'), Digest('1'), Digest('2'));
        await AddProofAsync("p-done", "d1", Digest('a'), T0);
        await FinishProofAsync("p-done", T0);
        await CompleteAsync("d2", Digest('a'), Digest('1'), Digest('2'), at: T0.AddDays(2));

        var release = await Index.TryReleaseAsync(Digest('a'), T0.AddDays(1), T0.AddDays(1), default);

        Assert.Null(release);
        Assert.NotNull(await Index.GetOwnedAsync("d2", Digest('a'), default));
    }
}

public sealed class SqliteBlobIndexTests : BlobIndexContract
{
    private readonly SqliteBackend _backend = new(new FakeTimeProvider());

    public SqliteBlobIndexTests()
    {
        Sessions = new SqliteUploadSessionStore(_backend.Database);
        Index = new SqliteBlobIndex(_backend.Database);
        Proofs = new SqliteProofStore(_backend.Database, _backend.Forwarding, TimeProvider.System);
    }

    internal override IUploadSessionStore Sessions { get; }

    internal override IBlobIndex Index { get; }

    internal override IProofStore Proofs { get; }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisBlobIndexTests : BlobIndexContract
{
    private readonly RedisBackend _backend;

    public RedisBlobIndexTests(RedisServer server)
    {
        _backend = new RedisBackend(server, new FakeTimeProvider());
        Sessions = new RedisUploadSessionStore(_backend.Redis, _backend.Keys);
        Index = new RedisBlobIndex(_backend.Redis, _backend.Keys);
        Proofs = new RedisProofStore(_backend.Redis, _backend.Keys, _backend.Forwarding);
    }

    internal override IUploadSessionStore Sessions { get; }

    internal override IBlobIndex Index { get; }

    internal override IProofStore Proofs { get; }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

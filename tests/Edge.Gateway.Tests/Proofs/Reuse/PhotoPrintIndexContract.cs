using Edge.Gateway.Hosting;
using Edge.Gateway.Proofs.Reuse;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Edge.Gateway.Tests.Proofs.Reuse;

/// <summary>
/// One contract, run against both reuse indexes (embedded SQLite and Redis), each with exact bands (maximum distance + 1
/// of them) and with the default wide bands read with one-bit neighbours.
/// </summary>
public abstract class PhotoPrintIndexContract : IDisposable
{
    protected const int MaxDistance = 6;
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);
    private const ulong Hash = 0x9a3c_5f0e_71b2_c4d8;

    protected PhotoReuseOptions Settings(int maxCandidates = 2000)
        => new() { MaxDistance = MaxDistance, IndexBands = IndexBands, MaxCandidatesPerBand = maxCandidates };

    /// <summary>Bands of the index under test.</summary>
    protected abstract int IndexBands { get; }

    internal HashBands Bands => new(MaxDistance, IndexBands);

    internal abstract IPhotoPrintIndex Index { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    internal static PhotoPrint Print(ulong hash, string proofId, DateTimeOffset? at = null, string device = "device-1", string stop = "S-001")
        => new(hash, proofId, device, "R-0001", stop, "0123456789abcdef", at ?? T0);

    /// <summary><paramref name="hash"/> with <paramref name="bits"/> bits flipped, one in each band in turn from the first.</summary>
    private ulong FlipAcrossBands(ulong hash, int bits)
    {
        for (var i = 0; i < bits; i++)
        {
            hash ^= Bands.Bit(i % Bands.Count, i / Bands.Count);
        }

        return hash;
    }

    [Fact]
    public async Task Find_EveryDistanceUpToTheMaximum_IsFound_SpreadOverTheBands()
    {
        for (var distance = 0; distance <= MaxDistance; distance++)
        {
            await Index.AddAsync([Print(FlipAcrossBands(Hash, distance), $"p-{distance}")], default);
        }

        var found = await Index.FindAsync(Hash, T0.AddDays(-1), default);

        Assert.Equal(Enumerable.Range(0, MaxDistance + 1), found.Select(m => m.Distance));
        Assert.Equal(Enumerable.Range(0, MaxDistance + 1).Select(d => $"p-{d}"), found.Select(m => m.Print.ProofId));
        Assert.Equal(Print(Hash, "p-0"), found[0].Print);
    }

    [Fact]
    public async Task Find_OneBitBeyondTheMaximum_IsNotFound_EvenWhenABandIsEqual()
    {
        // Seven flips in the first band only: the other bands are equal, so it is a candidate, and the distance refuses it.
        var inOneBand = Enumerable.Range(0, MaxDistance + 1).Aggregate(Hash, (hash, i) => hash ^ Bands.Bit(0, i));
        await Index.AddAsync([Print(FlipAcrossBands(Hash, MaxDistance + 1), "spread"), Print(inOneBand, "one-band")], default);

        var found = await Index.FindAsync(Hash, T0.AddDays(-1), default);

        Assert.Empty(found);
    }

    [Fact]
    public async Task Find_PrintsReceivedBeforeSince_AreNotReturned()
    {
        await Index.AddAsync([Print(Hash, "old", T0), Print(Hash, "new", T0.AddDays(20))], default);

        var found = await Index.FindAsync(Hash, T0.AddDays(1), default);

        Assert.Equal("new", Assert.Single(found).Print.ProofId);
    }

    [Fact]
    public async Task Add_TheSamePrintAgain_ChangesNothing()
    {
        await Index.AddAsync([Print(Hash, "again")], default);
        await Index.AddAsync([Print(Hash, "again")], default);

        var found = await Index.FindAsync(Hash, T0.AddDays(-1), default);

        Assert.Equal("again", Assert.Single(found).Print.ProofId);
    }

    [Fact]
    public async Task Find_SeveralPhotosAndDevices_NearestFirstThenNewest_WithEachPrintsOwnIds()
    {
        await Index.AddAsync([Print(Hash ^ 0b111, "far", T0.AddHours(3), device: "device-2", stop: "S-009")], default);
        await Index.AddAsync([Print(Hash ^ 0b1, "near-old", T0), Print(0x0123_4567_89ab_cdef, "near-old", T0)], default);
        await Index.AddAsync([Print(Hash ^ 0b10, "near-new", T0.AddHours(1))], default);

        var found = await Index.FindAsync(Hash, T0.AddDays(-1), default);

        Assert.Equal(["near-new", "near-old", "far"], found.Select(m => m.Print.ProofId));
        Assert.Equal([1, 1, 3], found.Select(m => m.Distance));
        Assert.Equal(Print(Hash ^ 0b111, "far", T0.AddHours(3), device: "device-2", stop: "S-009"), found[2].Print);
    }

    [Fact]
    public async Task Find_ABandValueSharedByManyPrints_ReadsOnlyTheNewestOfThatBand()
    {
        // One flip more than the lookup's radius in each band but the first: a candidate through the first band alone.
        var crowdHash = Hash;
        for (var band = 1; band < Bands.Count; band++)
        {
            for (var i = 0; i <= Bands.Radius; i++)
            {
                crowdHash ^= Bands.Bit(band, i);
            }
        }

        var crowd = Enumerable.Range(0, 40).Select(i => Print(crowdHash, $"crowd-{i:00}", T0.AddMinutes(i))).ToList();
        await Index.AddAsync(crowd, default);
        await Index.AddAsync([Print(Hash, "exact", T0.AddMinutes(-1))], default);

        var found = await LimitedIndex(maxCandidates: 16).FindAsync(Hash, T0.AddDays(-1), default);

        // "exact" shares every band, so the crowd in the first band cannot hide it.
        Assert.InRange(HashBands.Distance(Hash, crowdHash), 1, MaxDistance);
        Assert.Equal("exact", found[0].Print.ProofId);
        Assert.Equal(Enumerable.Range(24, 16).Reverse().Select(i => $"crowd-{i:00}"), found.Skip(1).Select(m => m.Print.ProofId));
    }

    /// <summary>The same store read with another limit of candidates per band.</summary>
    internal abstract IPhotoPrintIndex LimitedIndex(int maxCandidates);
}

public sealed class SqliteExactBandsIndexTests : SqlitePhotoPrintIndexTests
{
    protected override int IndexBands => MaxDistance + 1;
}

public sealed class SqliteWideBandsIndexTests : SqlitePhotoPrintIndexTests
{
    protected override int IndexBands => 4;
}

public abstract class SqlitePhotoPrintIndexTests : PhotoPrintIndexContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edge-prints-").FullName;
    private readonly SqliteDatabase _database;

    protected SqlitePhotoPrintIndexTests()
    {
        _database = new SqliteDatabase(Options.Create(new EdgeOptions { DataDirectory = _directory }));
    }

    internal override IPhotoPrintIndex Index => field ??= new SqlitePhotoPrintIndex(_database, Options.Create(Settings()));

    internal override IPhotoPrintIndex LimitedIndex(int maxCandidates) => new SqlitePhotoPrintIndex(_database, Options.Create(Settings(maxCandidates: maxCandidates)));

    [Fact]
    public async Task RemoveExpired_TakesOnlyOlderPrints_AndTheirBands()
    {
        await Index.AddAsync([Print(0x1111_2222_3333_4444, "old", T0), Print(0x1111_2222_3333_4444, "new", T0.AddDays(31))], default);

        var removed = await Index.RemoveExpiredAsync(T0.AddDays(1), default);
        var found = await Index.FindAsync(0x1111_2222_3333_4444, DateTimeOffset.MinValue, default);

        Assert.Equal(1, removed);
        Assert.Equal("new", Assert.Single(found).Print.ProofId);
        using var connection = _database.Open();
        Assert.Equal(Bands.Count, (long)SqliteDatabase.Scalar(connection, null, "SELECT count(*) FROM photo_print_bands")!);
    }

    [Fact]
    public async Task Open_WithAnotherMaximumDistance_RebuildsTheBands_AndFindsEarlierPrints()
    {
        await Index.AddAsync([Print(0x0f0f_0f0f_0f0f_0f0f, "before")], default);

        var wider = new SqlitePhotoPrintIndex(_database, Options.Create(new PhotoReuseOptions { MaxDistance = 9, IndexBands = 10 }));
        var found = await wider.FindAsync(0x0f0f_0f0f_0f0f_0f0f ^ 0x8040_2010_0804_0201, T0.AddDays(-1), default);

        Assert.Equal(8, Assert.Single(found).Distance);
        using var connection = _database.Open();
        Assert.Equal(10L, (long)SqliteDatabase.Scalar(connection, null, "SELECT count(*) FROM photo_print_bands")!);
    }

    public override void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        base.Dispose();
        GC.SuppressFinalize(this);
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisExactBandsIndexTests(RedisServer server) : RedisPhotoPrintIndexTests(server)
{
    protected override int IndexBands => MaxDistance + 1;
}

[Collection(RedisCollection.Name)]
public sealed class RedisWideBandsIndexTests(RedisServer server) : RedisPhotoPrintIndexTests(server)
{
    protected override int IndexBands => 4;
}

public abstract class RedisPhotoPrintIndexTests : PhotoPrintIndexContract
{
    private readonly ConnectionMultiplexer _redis;
    private readonly IOptions<EdgeOptions> _edge = Options.Create(new EdgeOptions { RedisKeyPrefix = $"r{Guid.NewGuid():N}:" });
    private readonly FakeTimeProvider _clock = new(T0);

    protected RedisPhotoPrintIndexTests(RedisServer server)
    {
        _redis = ConnectionMultiplexer.Connect(server.ConnectionString);
    }

    internal override IPhotoPrintIndex Index => field ??= new RedisPhotoPrintIndex(_redis, _edge, Options.Create(Settings()), _clock);

    internal override IPhotoPrintIndex LimitedIndex(int maxCandidates) => new RedisPhotoPrintIndex(_redis, _edge, Options.Create(Settings(maxCandidates: maxCandidates)), _clock);

    [Fact]
    public async Task Add_TrimsPrintsOlderThanTheWindow_AndEveryKeyExpires()
    {
        const ulong hash = 0x5555_aaaa_5555_aaaa;
        await Index.AddAsync([Print(hash, "old", T0)], default);
        _clock.Advance(TimeSpan.FromDays(31));
        await Index.AddAsync([Print(hash, "new", _clock.GetUtcNow())], default);

        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var keys = server.Keys(pattern: _edge.Value.RedisKeyPrefix + "*").ToList();
        var database = _redis.GetDatabase();
        var bandKeys = keys.Where(k => !((string)k!).Contains(":proof:", StringComparison.Ordinal)).ToList();

        Assert.Equal(Bands.Count, bandKeys.Count);
        Assert.All(bandKeys, key => Assert.Equal(1, database.SortedSetLength(key)));
        Assert.All(keys, key => Assert.InRange(database.KeyTimeToLive(key)!.Value, TimeSpan.FromDays(30), TimeSpan.FromDays(31)));
        Assert.Equal("new", Assert.Single(await Index.FindAsync(hash, DateTimeOffset.MinValue, default)).Print.ProofId);
    }

    public override void Dispose()
    {
        _redis.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }
}

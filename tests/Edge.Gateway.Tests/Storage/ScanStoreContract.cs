using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Edge.Gateway.Tests.Storage;

/// <summary>
/// One contract for the scan intake state (embedded SQLite and Redis): an event id belongs to the first device that
/// used it for the dedupe window; the same device again is a duplicate, another device is refused; only added events
/// are queued; after the window (and the sweep) the id is free again.
/// </summary>
public abstract class ScanStoreContract : IDisposable
{
    /// <summary>The dedupe window of every store under test.</summary>
    protected static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    internal abstract IScanStore Store { get; }

    internal abstract IOutbox Outbox { get; }

    /// <summary>Makes the dedupe window of these ids end, as the store's own clock sees it.</summary>
    protected abstract Task EndDedupeWindowAsync(params string[] eventIds);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    internal static ScanRecord Event(string eventId, string device)
        => new(eventId, device, "driver-1", "R-1", "S-1", "P-1", "1Z" + eventId, ScanKind.Delivered, T0, new DevicePosition(52.37, 4.89, 8), string.Empty);

    private Task<ScanAddOutcome[]> AddAsync(string device, params string[] eventIds)
        => Store.AddAsync(device, eventIds.Select(id => Event(id, device)).ToList(), default);

    /// <summary>The ids queued since the last look, in queue order (taken and completed, as a forwarder would).</summary>
    private async Task<List<string>> QueuedAsync()
    {
        var taken = await Outbox.TakeAsync(OutboxLane.Scans, "contract", 1000, default);
        await Outbox.CompleteAsync(OutboxLane.Scans, taken, default);
        return taken.Select(e => e.ItemId).ToList();
    }

    [Fact]
    public async Task Add_NewIds_AreAddedAndQueuedOnce()
    {
        var outcomes = await AddAsync("d1", "n1", "n2", "n1");

        Assert.Equal([ScanAddOutcome.Added, ScanAddOutcome.Added, ScanAddOutcome.Duplicate], outcomes);
        Assert.Equal(["n1", "n2"], await QueuedAsync());
    }

    [Fact]
    public async Task Add_QueuesTheEventAsTheGatewaysModel_InJson()
    {
        await AddAsync("d1", "j1");

        var entry = Assert.Single(await Outbox.TakeAsync(OutboxLane.Scans, "contract", 10, default));

        Assert.Equal(Event("j1", "d1"), ScanRecordCodec.Decode(entry.Payload));
        Assert.Equal((byte)'{', entry.Payload[0]);
    }

    [Fact]
    public async Task Add_SameDeviceAgain_IsDuplicateAndNotQueuedAgain()
    {
        await AddAsync("d1", "s1");
        await QueuedAsync();

        var again = await AddAsync("d1", "s1");

        Assert.Equal([ScanAddOutcome.Duplicate], again);
        Assert.Empty(await QueuedAsync());
    }

    [Fact]
    public async Task Add_AnotherDevicesId_IsRefusedAndNothingQueued()
    {
        await AddAsync("d1", "o1", "o2");
        await QueuedAsync();

        var other = await AddAsync("d2", "o1", "o3", "o2");
        var owner = await AddAsync("d1", "o1");

        Assert.Equal([ScanAddOutcome.OtherDevice, ScanAddOutcome.Added, ScanAddOutcome.OtherDevice], other);
        Assert.Equal([ScanAddOutcome.Duplicate], owner);
        Assert.Equal(["o3"], await QueuedAsync());
    }

    [Fact]
    public async Task Add_TwoDevicesRacingForOneId_GiveItOneOwner()
    {
        var ids = Enumerable.Range(0, 50).Select(i => $"race-{i}").ToArray();

        var results = await Task.WhenAll(
            Task.Run(() => AddAsync("d1", ids)),
            Task.Run(() => AddAsync("d2", ids)));

        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(
                [ScanAddOutcome.Added, ScanAddOutcome.OtherDevice],
                new[] { results[0][i], results[1][i] }.Order());
        }

        var queued = await QueuedAsync();
        Assert.Equal(ids.Order(StringComparer.Ordinal), queued.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Sweep_WithinTheWindow_KeepsOwners()
    {
        await AddAsync("d1", "w1");

        await Store.SweepAsync(default);

        Assert.Equal([ScanAddOutcome.OtherDevice], await AddAsync("d2", "w1"));
        Assert.Equal([ScanAddOutcome.Duplicate], await AddAsync("d1", "w1"));
    }

    [Fact]
    public async Task Add_AfterTheWindowAndSweep_AnyDeviceTakesTheIdAgain()
    {
        await AddAsync("d1", "x1", "x2");
        await QueuedAsync();
        await EndDedupeWindowAsync("x1", "x2");

        await Store.SweepAsync(default);
        var byOther = await AddAsync("d2", "x1");
        var byOwner = await AddAsync("d1", "x2");
        var otherNow = await AddAsync("d1", "x1");

        Assert.Equal([ScanAddOutcome.Added], byOther);
        Assert.Equal([ScanAddOutcome.Added], byOwner);
        Assert.Equal([ScanAddOutcome.OtherDevice], otherNow);
        Assert.Equal(["x1", "x2"], await QueuedAsync());
    }
}

public sealed class SqliteScanStoreTests : ScanStoreContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edge-sqlite-").FullName;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly SqliteDatabase _database;
    private readonly SqliteScanStore _store;

    public SqliteScanStoreTests()
    {
        _database = new SqliteDatabase(Options.Create(new EdgeOptions { DataDirectory = _directory }));
        var options = Options.Create(new ForwardingOptions { DedupeRetention = Retention });
        _store = new SqliteScanStore(_database, options, _clock);
        Outbox = new SqliteOutbox(_database, options, _clock);
    }

    internal override IScanStore Store => _store;

    internal override IOutbox Outbox { get; }

    protected override Task EndDedupeWindowAsync(params string[] eventIds)
    {
        _clock.Advance(Retention + TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Sweep_AfterTheWindow_RemovesTheRecords()
    {
        await _store.AddAsync("d1", [Event("sw1", "d1"), Event("sw2", "d1")], default);
        _clock.Advance(Retention + TimeSpan.FromSeconds(1));

        var removed = await _store.SweepAsync(default);

        Assert.Equal(2, removed);
        using var connection = _database.Open();
        Assert.Equal(0L, SqliteDatabase.Scalar(connection, null, "SELECT COUNT(*) FROM scan_events"));
    }

    [Fact]
    public async Task Migration_OnAFileWithoutOwners_AddsTheColumnAndOldIdsStayDuplicates()
    {
        var directory = Directory.CreateTempSubdirectory("edge-sqlite-old-").FullName;
        try
        {
            // A state file as gateways wrote it before owners were kept, with one live id.
            var path = Path.Combine(directory, "edge.db");
            using (var old = new SqliteConnection($"Data Source={path}"))
            {
                old.Open();
                SqliteDatabase.Execute(old, null, """
                    CREATE TABLE scan_events (event_id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO scan_events VALUES ('legacy-1', $expires);
                    """, ("$expires", T0.Add(Retention).ToUnixTimeMilliseconds()));
            }

            var database = new SqliteDatabase(Options.Create(new EdgeOptions { DataDirectory = directory }));
            var store = new SqliteScanStore(database, Options.Create(new ForwardingOptions { DedupeRetention = Retention }), _clock);

            var first = await store.AddAsync("d1", [Event("legacy-1", "d1"), Event("new-1", "d1")], default);
            var second = await store.AddAsync("d2", [Event("legacy-1", "d2"), Event("new-1", "d2")], default);

            Assert.Equal([ScanAddOutcome.Duplicate, ScanAddOutcome.Added], first);
            Assert.Equal([ScanAddOutcome.Duplicate, ScanAddOutcome.OtherDevice], second);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    public override void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        base.Dispose();
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisScanStoreTests : ScanStoreContract
{
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;

    public RedisScanStoreTests(RedisServer server)
    {
        _redis = ConnectionMultiplexer.Connect(server.ConnectionString);
        _keys = new RedisKeys(Options.Create(new EdgeOptions { RedisKeyPrefix = $"c{Guid.NewGuid():N}:" }));
        var options = Options.Create(new ForwardingOptions { DedupeRetention = Retention });
        Store = new RedisScanStore(_redis, _keys, options, new FakeTimeProvider(T0));
        Outbox = new RedisOutbox(_redis, _keys, options, new FakeTimeProvider(T0));
    }

    internal override IScanStore Store { get; }

    internal override IOutbox Outbox { get; }

    /// <summary>Redis ends the window itself (key expiry): shorten the ids' expiry and wait until Redis dropped them.</summary>
    protected override async Task EndDedupeWindowAsync(params string[] eventIds)
    {
        var db = _redis.GetDatabase();
        foreach (var id in eventIds)
        {
            await db.KeyExpireAsync(_keys.ScanEvent(id), TimeSpan.FromMilliseconds(1));
        }

        await TestIntake.WaitUntilAsync(async () =>
        {
            foreach (var id in eventIds)
            {
                if (await db.KeyExistsAsync(_keys.ScanEvent(id)))
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(10), "Redis to expire the dedupe keys");
    }

    [Fact]
    public async Task Add_KeyFromBeforeOwnersWereKept_StaysADuplicateForAnyDevice()
    {
        await _redis.GetDatabase().StringSetAsync(_keys.ScanEvent("legacy-1"), "1", Retention);

        var first = await Store.AddAsync("d1", [Event("legacy-1", "d1")], default);
        var second = await Store.AddAsync("d2", [Event("legacy-1", "d2")], default);

        Assert.Equal([ScanAddOutcome.Duplicate], first);
        Assert.Equal([ScanAddOutcome.Duplicate], second);
    }

    [Fact]
    public async Task Add_StoresTheOwnerWithTheDedupeWindowAsExpiry()
    {
        await Store.AddAsync("d1", [Event("ttl-1", "d1")], default);

        var db = _redis.GetDatabase();
        Assert.Equal("d1", (string?)await db.StringGetAsync(_keys.ScanEvent("ttl-1")));
        var ttl = await db.KeyTimeToLiveAsync(_keys.ScanEvent("ttl-1"));
        Assert.InRange(ttl!.Value, Retention - TimeSpan.FromMinutes(1), Retention);
    }

    public override void Dispose()
    {
        _redis.Dispose();
        base.Dispose();
    }
}

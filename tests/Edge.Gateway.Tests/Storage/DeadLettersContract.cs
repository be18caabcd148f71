using Edge.Gateway.Forwarding;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>One contract for dead letters (IDeadLetters), run against SQLite and Redis.</summary>
public abstract class DeadLettersContract : IDisposable
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    internal abstract IDeadLetters Letters { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static DeadLetter Letter(OutboxLane lane, string itemId, string reason, DateTimeOffset at, byte[]? payload = null)
        => new(DeadLetter.IdFor(lane, itemId), lane, itemId, payload ?? [], reason, at);

    [Fact]
    public async Task Add_ThenList_GivesEveryFieldOldestFirst()
    {
        var later = Letter(OutboxLane.Proofs, "p-1", "refused", T0.AddMinutes(1));
        var earlier = Letter(OutboxLane.Scans, "s-1", "malformed", T0, [7, 8]);

        await Letters.AddAsync(later, default);
        await Letters.AddAsync(earlier, default);
        var listed = await Letters.ListAsync(default);

        Assert.Equal(["scan:s-1", "proof:p-1"], listed.Select(l => l.Id));
        Assert.Equal((OutboxLane.Scans, "s-1", "malformed", T0), (listed[0].Lane, listed[0].ItemId, listed[0].Reason, listed[0].At));
        Assert.Equal([7, 8], listed[0].Payload);
    }

    [Fact]
    public async Task Add_SameItemAgain_ReplacesTheLetter()
    {
        await Letters.AddAsync(Letter(OutboxLane.Proofs, "p-1", "first", T0), default);
        await Letters.AddAsync(Letter(OutboxLane.Proofs, "p-1", "second", T0.AddSeconds(1)), default);

        var listed = await Letters.ListAsync(default);

        Assert.Equal("second", Assert.Single(listed).Reason);
    }

    [Fact]
    public async Task Remove_TakesTheLetterOffOnce()
    {
        await Letters.AddAsync(Letter(OutboxLane.Scans, "s-1", "refused", T0), default);

        var first = await Letters.RemoveAsync("scan:s-1", default);
        var second = await Letters.RemoveAsync("scan:s-1", default);

        Assert.Equal((true, false), (first, second));
        Assert.Empty(await Letters.ListAsync(default));
    }
}

public sealed class SqliteDeadLettersTests : DeadLettersContract
{
    private readonly SqliteBackend _backend = new(new FakeTimeProvider(T0));

    public SqliteDeadLettersTests() => Letters = new SqliteDeadLetters(_backend.Database);

    internal override IDeadLetters Letters { get; }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisDeadLettersTests : DeadLettersContract
{
    private readonly RedisBackend _backend;

    public RedisDeadLettersTests(RedisServer server)
    {
        _backend = new RedisBackend(server, new FakeTimeProvider(T0));
        Letters = new RedisDeadLetters(_backend.Redis, _backend.Keys);
    }

    internal override IDeadLetters Letters { get; }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

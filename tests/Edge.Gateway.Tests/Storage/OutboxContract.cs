using Edge.Gateway.Forwarding;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>One contract for the outbox (IOutbox), run against the SQLite table and the Redis streams.</summary>
public abstract class OutboxContract : IDisposable
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    internal abstract IOutbox Outbox { get; }

    /// <summary>True when releasing stale leases makes held entries available at once (one process per state file).</summary>
    protected abstract bool ReleasesLeasesOfEarlierRuns { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Lets more than the claim timeout pass since the entries were last taken or renewed.</summary>
    protected abstract Task PassClaimTimeoutAsync();

    /// <summary>Lets a little more than half the claim timeout pass.</summary>
    protected abstract Task PassMostOfHalfTheClaimTimeoutAsync();

    [Fact]
    public async Task Enqueue_ThenTake_ReturnsTheEntryInItsLaneOnly()
    {
        await Outbox.EnqueueAsync(OutboxLane.Scans, "scan-1", [1, 2, 3], default);

        var proofs = await Outbox.TakeAsync(OutboxLane.Proofs, "c1", 10, default);
        var scans = await Outbox.TakeAsync(OutboxLane.Scans, "c1", 10, default);

        Assert.Empty(proofs);
        var entry = Assert.Single(scans);
        Assert.Equal(("scan-1", OutboxLane.Scans, T0), (entry.ItemId, entry.Lane, entry.EnqueuedAt));
        Assert.Equal([1, 2, 3], entry.Payload);
    }

    [Fact]
    public async Task Take_ReturnsEntriesInOrderUpToTheMaximum()
    {
        foreach (var id in new[] { "p-1", "p-2", "p-3" })
        {
            await Outbox.EnqueueAsync(OutboxLane.Proofs, id, [], default);
        }

        var first = await Outbox.TakeAsync(OutboxLane.Proofs, "c1", 2, default);
        var rest = await Outbox.TakeAsync(OutboxLane.Proofs, "c2", 2, default);

        Assert.Equal(["p-1", "p-2"], first.Select(e => e.ItemId));
        Assert.Equal(["p-3"], rest.Select(e => e.ItemId));
        Assert.Empty(rest[0].Payload);
    }

    [Fact]
    public async Task Take_HeldEntry_IsTakenByAnotherOnlyAfterTheClaimTimeout()
    {
        await Outbox.EnqueueAsync(OutboxLane.Scans, "scan-1", [1], default);
        await Outbox.TakeAsync(OutboxLane.Scans, "dead", 10, default);

        var meanwhile = await Outbox.TakeAsync(OutboxLane.Scans, "alive", 10, default);
        await PassClaimTimeoutAsync();
        var after = await Outbox.TakeAsync(OutboxLane.Scans, "alive", 10, default);

        Assert.Empty(meanwhile);
        Assert.Equal("scan-1", Assert.Single(after).ItemId);
    }

    [Fact]
    public async Task Renew_KeepsTheEntryFromBeingTakenOver()
    {
        await Outbox.EnqueueAsync(OutboxLane.Scans, "scan-1", [1], default);
        var held = await Outbox.TakeAsync(OutboxLane.Scans, "slow", 10, default);

        await PassMostOfHalfTheClaimTimeoutAsync();
        await Outbox.RenewAsync(OutboxLane.Scans, "slow", held, default);
        await PassMostOfHalfTheClaimTimeoutAsync();
        var other = await Outbox.TakeAsync(OutboxLane.Scans, "other", 10, default);

        Assert.Empty(other);
    }

    [Fact]
    public async Task Complete_RemovesTheEntriesForGood()
    {
        await Outbox.EnqueueAsync(OutboxLane.Scans, "scan-1", [1], default);
        await Outbox.EnqueueAsync(OutboxLane.Scans, "scan-2", [2], default);
        var taken = await Outbox.TakeAsync(OutboxLane.Scans, "c1", 1, default);

        await Outbox.CompleteAsync(OutboxLane.Scans, taken, default);
        await PassClaimTimeoutAsync();
        var again = await Outbox.TakeAsync(OutboxLane.Scans, "c2", 10, default);

        Assert.Equal(["scan-2"], again.Select(e => e.ItemId));
        Assert.Equal(1, (await Outbox.GetBacklogAsync(OutboxLane.Scans, default)).Depth);
    }

    [Fact]
    public async Task Backlog_CountsTakenAndWaitingEntriesWithTheOldest()
    {
        var empty = await Outbox.GetBacklogAsync(OutboxLane.Proofs, default);
        await Outbox.EnqueueAsync(OutboxLane.Proofs, "p-1", [], default);
        await Outbox.EnqueueAsync(OutboxLane.Proofs, "p-2", [], default);
        await Outbox.TakeAsync(OutboxLane.Proofs, "c1", 1, default);

        var backlog = await Outbox.GetBacklogAsync(OutboxLane.Proofs, default);

        Assert.Equal(new OutboxBacklog(0, null), empty);
        Assert.Equal(new OutboxBacklog(2, T0), backlog);
        Assert.Equal(0, (await Outbox.GetBacklogAsync(OutboxLane.Scans, default)).Depth);
    }

    [Fact]
    public async Task ReleaseStaleLeases_FreesOtherReplicasEntriesOnlyWhereNoOtherProcessCanHoldThem()
    {
        await Outbox.EnqueueAsync(OutboxLane.Proofs, "p-1", [], default);
        await Outbox.TakeAsync(OutboxLane.Proofs, IReplicaIdentity.Consumer("replica-b", OutboxLane.Proofs, 0), 10, default);

        await Outbox.ReleaseStaleLeasesAsync("replica-a", default);
        var taken = await Outbox.TakeAsync(OutboxLane.Proofs, IReplicaIdentity.Consumer("replica-a", OutboxLane.Proofs, 0), 10, default);

        Assert.Equal(ReleasesLeasesOfEarlierRuns ? 1 : 0, taken.Count);
    }

    [Fact]
    public async Task ReleaseStaleLeases_FreesThisReplicasEarlierEntriesAtOnce_AllOfThem()
    {
        var ids = Enumerable.Range(0, 1500).Select(i => $"s-{i}").ToList();
        foreach (var id in ids)
        {
            await Outbox.EnqueueAsync(OutboxLane.Scans, id, [1], default);
        }

        await Outbox.TakeAsync(OutboxLane.Scans, IReplicaIdentity.Consumer("replica-a", OutboxLane.Scans, 0), 1000, default);
        await Outbox.TakeAsync(OutboxLane.Scans, IReplicaIdentity.Consumer("replica-a", OutboxLane.Scans, 3), 500, default);

        var released = await Outbox.ReleaseStaleLeasesAsync("replica-a", default);
        var taken = new List<OutboxEntry>();
        for (var round = 0; round < 4; round++)
        {
            taken.AddRange(await Outbox.TakeAsync(OutboxLane.Scans, IReplicaIdentity.Consumer("replica-a", OutboxLane.Scans, 0), 500, default));
        }

        Assert.Equal(1500, released);
        Assert.Equal(ids.Order(StringComparer.Ordinal), taken.Select(e => e.ItemId).Distinct().Order(StringComparer.Ordinal));
    }
}

public sealed class SqliteOutboxTests : OutboxContract
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(30);
    private readonly SqliteBackend _backend = new(new FakeTimeProvider(T0), new ForwardingOptions { ClaimTimeout = ClaimTimeout });

    public SqliteOutboxTests() => Outbox = new SqliteOutbox(_backend.Database, _backend.Forwarding, _backend.Clock);

    internal override IOutbox Outbox { get; }

    protected override bool ReleasesLeasesOfEarlierRuns => true;

    protected override Task PassClaimTimeoutAsync()
    {
        _backend.Clock.Advance(ClaimTimeout + TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    protected override Task PassMostOfHalfTheClaimTimeoutAsync()
    {
        _backend.Clock.Advance(ClaimTimeout * 0.6);
        return Task.CompletedTask;
    }

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// Redis measures a pending entry's idle time by its own clock, so the claim timeout here is short and really passes:
/// a wait is the only way to age an entry, not something the test measures.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisOutboxTests : OutboxContract
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(3);
    private readonly RedisBackend _backend;

    public RedisOutboxTests(RedisServer server)
    {
        _backend = new RedisBackend(server, new FakeTimeProvider(T0), new ForwardingOptions { ClaimTimeout = ClaimTimeout });
        Outbox = new RedisOutbox(_backend.Redis, _backend.Keys, _backend.Forwarding, _backend.Clock);
    }

    internal override IOutbox Outbox { get; }

    protected override bool ReleasesLeasesOfEarlierRuns => false;

    protected override Task PassClaimTimeoutAsync() => Task.Delay(ClaimTimeout + TimeSpan.FromMilliseconds(200));

    protected override Task PassMostOfHalfTheClaimTimeoutAsync() => Task.Delay(ClaimTimeout * 0.6);

    public override void Dispose()
    {
        _backend.Dispose();
        base.Dispose();
    }
}

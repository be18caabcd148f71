namespace Edge.Gateway.Forwarding;

/// <summary>The two kinds of work waiting for the core, drained independently so a slow proof never holds up scans.</summary>
internal enum OutboxLane
{
    Scans = 0,
    Proofs = 1,
}

/// <summary>One item waiting to be forwarded.</summary>
/// <param name="EntryId">The outbox's own id of the entry (Redis stream id, or SQLite row id).</param>
/// <param name="Lane">Scans or proofs.</param>
/// <param name="ItemId">The scan event id or proof id.</param>
/// <param name="Payload">The <c>ScanRecord</c> (JSON) for a scan; empty for a proof (its record holds the proof).</param>
/// <param name="EnqueuedAt">When intake added the entry.</param>
internal sealed record OutboxEntry(string EntryId, OutboxLane Lane, string ItemId, byte[] Payload, DateTimeOffset EnqueuedAt);

/// <summary>How much is waiting in one lane.</summary>
internal readonly record struct OutboxBacklog(long Depth, DateTimeOffset? OldestEnqueuedAt);

/// <summary>
/// The durable queue between intake and the core: a Redis Stream with a consumer group in Redis mode, a SQLite table
/// in embedded mode. Entries are taken (leased to a consumer), renewed while a forwarder keeps retrying them, and
/// completed once the core answered for good. An entry whose consumer died is taken again by another after the
/// claim timeout, so delivery is at least once; the core dedupes by id.
/// </summary>
internal interface IOutbox
{
    /// <summary>Takes up to <paramref name="max"/> entries: first ones abandoned by a dead consumer, then new ones.</summary>
    Task<IReadOnlyList<OutboxEntry>> TakeAsync(OutboxLane lane, string consumer, int max, CancellationToken cancellationToken);

    /// <summary>Keeps entries the consumer is still working on from being taken over.</summary>
    Task RenewAsync(OutboxLane lane, string consumer, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken);

    /// <summary>Removes entries the core answered for good.</summary>
    Task CompleteAsync(OutboxLane lane, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken);

    /// <summary>
    /// Adds an entry (for replays). Intake adds entries atomically with its own records, through the same one append
    /// per backend (<c>SqliteOutboxWriter</c>, <c>RedisOutbox.AppendFunction</c>).
    /// </summary>
    Task EnqueueAsync(OutboxLane lane, string itemId, byte[] payload, CancellationToken cancellationToken);

    /// <summary>Entries waiting (taken or not) and the age of the oldest.</summary>
    Task<OutboxBacklog> GetBacklogAsync(OutboxLane lane, CancellationToken cancellationToken);

    /// <summary>
    /// Called once as this process's forwarders start, holding <paramref name="replicaId"/>. Embedded mode (one gateway
    /// process per state file) releases every lease, since no forwarder of an earlier run is alive; Redis mode makes the
    /// entries held by this replica's earlier processes (consumers named after the replica) free to take at once, and
    /// leaves other replicas' alone: a dead one's entries are claimed after the claim timeout.
    /// </summary>
    /// <returns>How many entries were freed.</returns>
    Task<long> ReleaseStaleLeasesAsync(string replicaId, CancellationToken cancellationToken);
}

/// <summary>An item the core refused for good, kept for operators to inspect and replay.</summary>
internal sealed record DeadLetter(string Id, OutboxLane Lane, string ItemId, byte[] Payload, string Reason, DateTimeOffset At)
{
    public static string IdFor(OutboxLane lane, string itemId) => (lane == OutboxLane.Scans ? "scan:" : "proof:") + itemId;
}

/// <summary>Items the core refused for good (REJECTED, or a request it called malformed).</summary>
internal interface IDeadLetters
{
    Task AddAsync(DeadLetter letter, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Removes a letter; false when there is none with that id.</summary>
    Task<bool> RemoveAsync(string id, CancellationToken cancellationToken);
}

using Edge.Gateway.Forwarding;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>
/// The outbox as a SQLite table. A forwarder takes rows by leasing them (owner and expiry); a lease not renewed runs
/// out after the claim timeout and the rows are taken again. Completed rows are deleted.
/// </summary>
internal sealed class SqliteOutbox : IOutbox
{
    private readonly SqliteDatabase _database;
    private readonly IOptions<ForwardingOptions> _options;
    private readonly TimeProvider _timeProvider;

    public SqliteOutbox(SqliteDatabase database, IOptions<ForwardingOptions> options, TimeProvider timeProvider)
    {
        _database = database;
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>
    /// Embedded mode has one gateway process per state file: when its forwarders start no other forwarder is alive, so
    /// every lease is stale and the rows are taken again at once instead of after the claim timeout.
    /// </summary>
    public Task<long> ReleaseStaleLeasesAsync(string replicaId, CancellationToken cancellationToken)
    {
        using var connection = _database.Open(durable: false);
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE outbox SET lease_owner = NULL, lease_until_ms = 0 WHERE lease_until_ms <> 0";
        return Task.FromResult((long)command.ExecuteNonQuery());
    }

    public Task<IReadOnlyList<OutboxEntry>> TakeAsync(OutboxLane lane, string consumer, int max, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        using var connection = _database.Open(durable: false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE outbox SET lease_owner = $owner, lease_until_ms = $until
            WHERE id IN (SELECT id FROM outbox WHERE lane = $lane AND lease_until_ms <= $now ORDER BY id LIMIT $max)
            RETURNING id, item_id, payload, enqueued_ms
            """;
        command.Parameters.AddWithValue("$owner", consumer);
        command.Parameters.AddWithValue("$until", now + (long)_options.Value.ClaimTimeout.TotalMilliseconds);
        command.Parameters.AddWithValue("$lane", (int)lane);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$max", max);
        var entries = new List<OutboxEntry>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                entries.Add(new OutboxEntry(reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture), lane,
                    reader.GetString(1), (byte[])reader[2], DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
            }
        }

        entries.Sort((a, b) => long.Parse(a.EntryId, System.Globalization.CultureInfo.InvariantCulture)
            .CompareTo(long.Parse(b.EntryId, System.Globalization.CultureInfo.InvariantCulture)));
        return Task.FromResult<IReadOnlyList<OutboxEntry>>(entries);
    }

    public Task RenewAsync(OutboxLane lane, string consumer, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count > 0)
        {
            var until = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() + (long)_options.Value.ClaimTimeout.TotalMilliseconds;
            using var connection = _database.Open(durable: false);
            SqliteDatabase.Execute(connection, null,
                $"UPDATE outbox SET lease_owner = $owner, lease_until_ms = $until WHERE id IN ({string.Join(',', entries.Select(e => long.Parse(e.EntryId, System.Globalization.CultureInfo.InvariantCulture)))})",
                ("$owner", consumer), ("$until", until));
        }

        return Task.CompletedTask;
    }

    public Task CompleteAsync(OutboxLane lane, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count > 0)
        {
            using var connection = _database.Open(durable: false);
            SqliteDatabase.Execute(connection, null,
                $"DELETE FROM outbox WHERE id IN ({string.Join(',', entries.Select(e => long.Parse(e.EntryId, System.Globalization.CultureInfo.InvariantCulture)))})");
        }

        return Task.CompletedTask;
    }

    public Task EnqueueAsync(OutboxLane lane, string itemId, byte[] payload, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var outbox = new SqliteOutboxWriter(connection, null);
        outbox.Append(lane, itemId, payload, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        return Task.CompletedTask;
    }

    public Task<OutboxBacklog> GetBacklogAsync(OutboxLane lane, CancellationToken cancellationToken)
    {
        using var connection = _database.Open(durable: false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MIN(enqueued_ms) FROM outbox WHERE lane = $lane";
        command.Parameters.AddWithValue("$lane", (int)lane);
        using var reader = command.ExecuteReader();
        reader.Read();
        var depth = reader.GetInt64(0);
        return Task.FromResult(new OutboxBacklog(depth, reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
    }
}

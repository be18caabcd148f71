using Edge.Shared;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Scans;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>
/// Scan intake in SQLite: one immediate transaction inserts each new event id and its outbox row, so an event is
/// either remembered and queued, or neither. Concurrent calls share a transaction (group commit).
/// </summary>
internal sealed class SqliteScanStore : IScanStore
{
    private readonly SqliteDatabase _database;
    private readonly IOptions<ForwardingOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly GroupCommit<IReadOnlyList<global::Core.V1.ScanEvent>, bool[]> _intake;

    public SqliteScanStore(SqliteDatabase database, IOptions<ForwardingOptions> options, TimeProvider timeProvider)
    {
        _database = database;
        _options = options;
        _timeProvider = timeProvider;
        _intake = new GroupCommit<IReadOnlyList<global::Core.V1.ScanEvent>, bool[]>(AddBatches);
    }

    public Task<bool[]> AddAsync(IReadOnlyList<global::Core.V1.ScanEvent> events, CancellationToken cancellationToken)
        => _intake.RunAsync(events);

    private bool[][] AddBatches(IReadOnlyList<IReadOnlyList<global::Core.V1.ScanEvent>> batches)
    {
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = now + (long)_options.Value.DedupeRetention.TotalMilliseconds;
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var seen = connection.CreateCommand();
        seen.Transaction = transaction;
        // An expired record is as good as none: take the id again.
        seen.CommandText = """
            INSERT INTO scan_events (event_id, expires_ms) VALUES ($id, $expires)
            ON CONFLICT (event_id) DO UPDATE SET expires_ms = excluded.expires_ms WHERE scan_events.expires_ms <= $now
            """;
        var seenId = seen.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        seen.Parameters.AddWithValue("$expires", expires);
        seen.Parameters.AddWithValue("$now", now);
        using var outbox = new SqliteOutboxWriter(connection, transaction);
        var results = new bool[batches.Count][];
        for (var b = 0; b < batches.Count; b++)
        {
            var events = batches[b];
            var added = results[b] = new bool[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                seenId.Value = events[i].EventId;
                if (seen.ExecuteNonQuery() == 1)
                {
                    outbox.Append(OutboxLane.Scans, events[i].EventId, events[i].ToByteArray(), now);
                    added[i] = true;
                }
            }
        }

        transaction.Commit();
        return results;
    }

    public Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var removed = SqliteDatabase.Execute(connection, null, "DELETE FROM scan_events WHERE expires_ms <= $now", ("$now", now));
        removed += SqliteDatabase.Execute(connection, null, "DELETE FROM proofs WHERE expires_ms <= $now", ("$now", now));
        return Task.FromResult(removed);
    }
}

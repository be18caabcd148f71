using Edge.Shared;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Scans;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>
/// Scan intake in SQLite: one immediate transaction inserts each new event id with its owner device and its outbox
/// row, so an event is either remembered and queued, or neither. An id held by another device is left alone.
/// Concurrent calls share a transaction (group commit).
/// </summary>
internal sealed class SqliteScanStore : IScanStore
{
    private readonly SqliteDatabase _database;
    private readonly IOptions<ForwardingOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly GroupCommit<(string DeviceId, IReadOnlyList<ScanRecord> Events, byte[][] Payloads), ScanAddOutcome[]> _intake;

    public SqliteScanStore(SqliteDatabase database, IOptions<ForwardingOptions> options, TimeProvider timeProvider)
    {
        _database = database;
        _options = options;
        _timeProvider = timeProvider;
        _intake = new GroupCommit<(string, IReadOnlyList<ScanRecord>, byte[][]), ScanAddOutcome[]>(AddBatches);
    }

    // Payloads are encoded by each caller, outside the shared write transaction.
    public Task<ScanAddOutcome[]> AddAsync(string deviceId, IReadOnlyList<ScanRecord> events, CancellationToken cancellationToken)
        => _intake.RunAsync((deviceId, events, events.Select(ScanRecordCodec.Encode).ToArray()));

    private ScanAddOutcome[][] AddBatches(IReadOnlyList<(string DeviceId, IReadOnlyList<ScanRecord> Events, byte[][] Payloads)> batches)
    {
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = now + (long)_options.Value.DedupeRetention.TotalMilliseconds;
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var seen = connection.CreateCommand();
        seen.Transaction = transaction;
        // An expired record is as good as none: take the id again, for this device.
        seen.CommandText = """
            INSERT INTO scan_events (event_id, expires_ms, device_id) VALUES ($id, $expires, $device)
            ON CONFLICT (event_id) DO UPDATE SET expires_ms = excluded.expires_ms, device_id = excluded.device_id
            WHERE scan_events.expires_ms <= $now
            """;
        var seenId = seen.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        var seenDevice = seen.Parameters.Add("$device", Microsoft.Data.Sqlite.SqliteType.Text);
        seen.Parameters.AddWithValue("$expires", expires);
        seen.Parameters.AddWithValue("$now", now);
        using var owner = connection.CreateCommand();
        owner.Transaction = transaction;
        owner.CommandText = "SELECT device_id FROM scan_events WHERE event_id = $id";
        var ownerId = owner.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        using var outbox = new SqliteOutboxWriter(connection, transaction);
        var results = new ScanAddOutcome[batches.Count][];
        for (var b = 0; b < batches.Count; b++)
        {
            var (deviceId, events, payloads) = batches[b];
            var outcomes = results[b] = new ScanAddOutcome[events.Count];
            seenDevice.Value = deviceId;
            for (var i = 0; i < events.Count; i++)
            {
                seenId.Value = events[i].EventId;
                if (seen.ExecuteNonQuery() == 1)
                {
                    outbox.Append(OutboxLane.Scans, events[i].EventId, payloads[i], now);
                    outcomes[i] = ScanAddOutcome.Added;
                    continue;
                }

                // Taken and live. A NULL owner is a record from before owners were kept: answered as before.
                ownerId.Value = events[i].EventId;
                outcomes[i] = owner.ExecuteScalar() is string holder && !string.Equals(holder, deviceId, StringComparison.Ordinal)
                    ? ScanAddOutcome.OtherDevice
                    : ScanAddOutcome.Duplicate;
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

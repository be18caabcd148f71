using Edge.Gateway.Forwarding;
using Microsoft.Data.Sqlite;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>
/// Appends outbox rows inside the caller's transaction, so intake stores its own record and queues it for the core in
/// one step. The one place an outbox row is written: scan intake, proof intake and replays all go through it. One
/// prepared statement, reused for every row of a batch.
/// </summary>
internal sealed class SqliteOutboxWriter : IDisposable
{
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _lane;
    private readonly SqliteParameter _itemId;
    private readonly SqliteParameter _payload;
    private readonly SqliteParameter _enqueuedMs;

    public SqliteOutboxWriter(SqliteConnection connection, SqliteTransaction? transaction)
    {
        _insert = connection.CreateCommand();
        _insert.Transaction = transaction;
        _insert.CommandText = "INSERT INTO outbox (lane, item_id, payload, enqueued_ms) VALUES ($lane, $item, $payload, $enqueued)";
        _lane = _insert.Parameters.Add("$lane", SqliteType.Integer);
        _itemId = _insert.Parameters.Add("$item", SqliteType.Text);
        _payload = _insert.Parameters.Add("$payload", SqliteType.Blob);
        _enqueuedMs = _insert.Parameters.Add("$enqueued", SqliteType.Integer);
    }

    /// <summary>Queues <paramref name="itemId"/> in <paramref name="lane"/>; the payload is empty for a proof (its record holds the request).</summary>
    public void Append(OutboxLane lane, string itemId, byte[] payload, long enqueuedMs)
    {
        _lane.Value = (int)lane;
        _itemId.Value = itemId;
        _payload.Value = payload;
        _enqueuedMs.Value = enqueuedMs;
        _insert.ExecuteNonQuery();
    }

    public void Dispose() => _insert.Dispose();
}

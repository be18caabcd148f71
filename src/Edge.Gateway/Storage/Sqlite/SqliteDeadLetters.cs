using Edge.Gateway.Forwarding;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>Dead letters in the embedded state file.</summary>
internal sealed class SqliteDeadLetters(SqliteDatabase database) : IDeadLetters
{
    private readonly SqliteDatabase _database = database;

    public Task AddAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        SqliteDatabase.Execute(connection, null,
            "INSERT OR REPLACE INTO dead_letters (id, lane, item_id, payload, reason, at_ms) VALUES ($id, $lane, $item, $payload, $reason, $at)",
            ("$id", letter.Id), ("$lane", (int)letter.Lane), ("$item", letter.ItemId), ("$payload", letter.Payload),
            ("$reason", letter.Reason), ("$at", letter.At.ToUnixTimeMilliseconds()));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DeadLetter>> ListAsync(CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, lane, item_id, payload, reason, at_ms FROM dead_letters ORDER BY at_ms";
        using var reader = command.ExecuteReader();
        var letters = new List<DeadLetter>();
        while (reader.Read())
        {
            letters.Add(new DeadLetter(reader.GetString(0), (OutboxLane)reader.GetInt32(1), reader.GetString(2), (byte[])reader[3],
                reader.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }

        return Task.FromResult<IReadOnlyList<DeadLetter>>(letters);
    }

    public Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        return Task.FromResult(SqliteDatabase.Execute(connection, null, "DELETE FROM dead_letters WHERE id = $id", ("$id", id)) == 1);
    }
}

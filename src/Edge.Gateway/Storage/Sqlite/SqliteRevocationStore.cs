using Edge.Gateway.Security;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>Revoked tokens and devices in the embedded state file.</summary>
internal sealed class SqliteRevocationStore(SqliteDatabase database) : IRevocationStore
{
    /// <summary>The table (schema version 5).</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS revocations (
            kind     INTEGER NOT NULL,
            id       TEXT NOT NULL,
            at_ms    INTEGER NOT NULL,
            until_ms INTEGER NOT NULL,
            PRIMARY KEY (kind, id)
        );
        """;

    public Task AddAsync(Revocation revocation, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, null,
            """
            INSERT INTO revocations (kind, id, at_ms, until_ms) VALUES ($kind, $id, $at, $until)
            ON CONFLICT (kind, id) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms), until_ms = max(until_ms, excluded.until_ms)
            """,
            ("$kind", (int)revocation.Kind), ("$id", revocation.Id), ("$at", revocation.At.ToUnixTimeMilliseconds()),
            ("$until", revocation.Until.ToUnixTimeMilliseconds()));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Revocation>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var nowMs = now.ToUnixTimeMilliseconds();
        if (SqliteDatabase.Scalar(connection, null, "SELECT 1 FROM revocations WHERE until_ms < $now LIMIT 1", ("$now", nowMs)) is not null)
        {
            SqliteDatabase.Execute(connection, null, "DELETE FROM revocations WHERE until_ms < $now", ("$now", nowMs));
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT kind, id, at_ms, until_ms FROM revocations";
        using var reader = command.ExecuteReader();
        var revocations = new List<Revocation>();
        while (reader.Read())
        {
            revocations.Add(new Revocation((RevocationKind)reader.GetInt32(0), reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return Task.FromResult<IReadOnlyList<Revocation>>(revocations);
    }
}

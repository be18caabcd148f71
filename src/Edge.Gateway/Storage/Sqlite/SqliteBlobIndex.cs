using Edge.Gateway.Blobs;
using Microsoft.Data.Sqlite;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>The blob index in the embedded SQLite file; every change one transaction.</summary>
internal sealed class SqliteBlobIndex(SqliteDatabase database) : IBlobIndex
{
    private readonly SqliteDatabase _database = database;

    public Task<BlobRecord?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        using var connection = _database.OpenRead();
        return Task.FromResult(SqliteBlobTables.Get(connection, null, sha256));
    }

    public Task<BlobRecord?> GetOwnedAsync(string deviceId, string sha256, CancellationToken cancellationToken)
    {
        using var connection = _database.OpenRead();
        var bytes = SqliteDatabase.Scalar(connection, null,
            "SELECT b.record FROM blob_owners o JOIN blobs b ON b.sha256 = o.sha256 WHERE o.device_id = $device AND o.sha256 = $sha",
            ("$device", deviceId), ("$sha", sha256)) as byte[];
        return Task.FromResult(bytes is null ? null : BlobRecordCodec.Decode(bytes));
    }

    public Task<IReadOnlyList<string>> FindMissingAsync(string deviceId, IReadOnlyList<string> digests, CancellationToken cancellationToken)
    {
        using var connection = _database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM blob_owners WHERE device_id = $device AND sha256 = $sha";
        command.Parameters.AddWithValue("$device", deviceId);
        var parameter = command.Parameters.Add("$sha", SqliteType.Text);
        var missing = new List<string>();
        foreach (var digest in digests)
        {
            parameter.Value = digest;
            if (command.ExecuteScalar() is null)
            {
                missing.Add(digest);
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(missing);
    }

    public Task<BlobRelease?> ReleaseWithheldAsync(string deviceId, string sha256, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (SqliteDatabase.Scalar(connection, transaction, "SELECT 1 FROM blob_refs WHERE sha256 = $sha", ("$sha", sha256)) is not null
            || SqliteDatabase.Execute(connection, transaction, "DELETE FROM blob_owners WHERE device_id = $device AND sha256 = $sha",
                ("$device", deviceId), ("$sha", sha256)) == 0)
        {
            return Task.FromResult<BlobRelease?>(null);
        }

        var othersHold = SqliteDatabase.Scalar(connection, transaction, "SELECT 1 FROM blob_owners WHERE sha256 = $sha LIMIT 1", ("$sha", sha256)) is not null;
        var release = othersHold ? new BlobRelease(null, []) : SqliteBlobTables.Remove(connection, transaction, sha256);
        transaction.Commit();
        return Task.FromResult(release);
    }

    public Task<IReadOnlyList<string>> ListReleasableAsync(DateTimeOffset before, DateTimeOffset unclaimedBefore, int limit, CancellationToken cancellationToken)
    {
        using var connection = _database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sha256 FROM (SELECT sha256 FROM blob_refs WHERE pending = 0 AND done_ms <= $before ORDER BY done_ms LIMIT $limit)
            UNION
            SELECT sha256 FROM (SELECT b.sha256 FROM blobs b WHERE b.uploaded_ms <= $unclaimed
                AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.sha256 = b.sha256) ORDER BY b.uploaded_ms LIMIT $limit)
            """;
        command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$unclaimed", unclaimedBefore.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var digests = new List<string>();
        while (reader.Read())
        {
            digests.Add(reader.GetString(0));
        }

        return Task.FromResult<IReadOnlyList<string>>(digests);
    }

    public Task<BlobRelease?> TryReleaseAsync(string sha256, DateTimeOffset before, DateTimeOffset unclaimedBefore, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var due = SqliteDatabase.Scalar(connection, transaction,
            """
            SELECT 1 FROM blobs b WHERE b.sha256 = $sha AND (
                EXISTS (SELECT 1 FROM blob_refs r WHERE r.sha256 = b.sha256 AND r.pending = 0 AND r.done_ms <= $before)
                OR (b.uploaded_ms <= $unclaimed AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.sha256 = b.sha256)))
            """,
            ("$sha", sha256), ("$before", before.ToUnixTimeMilliseconds()), ("$unclaimed", unclaimedBefore.ToUnixTimeMilliseconds()));
        if (due is null)
        {
            // A reference row without a record (left by an earlier version) is cleared so it is not listed again.
            SqliteDatabase.Execute(connection, transaction,
                "DELETE FROM blob_refs WHERE sha256 = $sha AND pending <= 0 AND NOT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $sha)", ("$sha", sha256));
            transaction.Commit();
            return Task.FromResult<BlobRelease?>(null);
        }

        var release = SqliteBlobTables.Remove(connection, transaction, sha256);
        transaction.Commit();
        return Task.FromResult(release);
    }

    public Task<bool> IsFileReferencedAsync(string storedSha256, CancellationToken cancellationToken)
    {
        using var connection = _database.OpenRead();
        return Task.FromResult(SqliteDatabase.Scalar(connection, null, "SELECT 1 FROM blob_files WHERE stored_sha256 = $file AND refs > 0",
            ("$file", storedSha256)) is not null);
    }
}

using Edge.V1;
using Google.Protobuf;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>The blob index in the embedded SQLite file.</summary>
internal sealed class SqliteBlobIndex(SqliteDatabase database, TimeProvider timeProvider) : IBlobIndex
{
    public Task<StoredBlob?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT record FROM blobs WHERE sha256 = $sha";
        command.Parameters.AddWithValue("$sha", sha256);
        return Task.FromResult(command.ExecuteScalar() is byte[] record ? StoredBlob.Parser.ParseFrom(record) : null);
    }

    public Task<IReadOnlyList<string>> FindMissingAsync(IReadOnlyList<string> digests, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM blobs WHERE sha256 = $sha";
        var parameter = command.Parameters.Add("$sha", Microsoft.Data.Sqlite.SqliteType.Text);
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

    public async Task<StoredBlob> PutAsync(StoredBlob blob, CancellationToken cancellationToken)
    {
        using (var connection = database.Open())
        {
            SqliteDatabase.Execute(connection, null,
                "INSERT OR IGNORE INTO blobs (sha256, record, created_ms) VALUES ($sha, $record, $now)",
                ("$sha", blob.Sha256), ("$record", blob.ToByteArray()), ("$now", timeProvider.GetUtcNow().ToUnixTimeMilliseconds()));
        }

        return await GetAsync(blob.Sha256, cancellationToken) ?? blob;
    }
}

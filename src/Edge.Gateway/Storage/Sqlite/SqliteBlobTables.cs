using Edge.Gateway.Blobs;
using Microsoft.Data.Sqlite;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>
/// The blob index's tables and the steps that change them, for use inside a caller's transaction: the upload's
/// completion adds a record in the same transaction that completes the session; releases remove records, holds and
/// file references together.
/// </summary>
internal static class SqliteBlobTables
{
    /// <summary>Who holds which digest, and how many records name each stored file.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS blob_owners (
            device_id  TEXT NOT NULL,
            sha256     TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (device_id, sha256)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_blob_owners_sha ON blob_owners (sha256);
        CREATE TABLE IF NOT EXISTS blob_files (
            stored_sha256 TEXT PRIMARY KEY,
            refs          INTEGER NOT NULL
        ) WITHOUT ROWID;
        ALTER TABLE blobs ADD COLUMN uploaded_ms INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX IF NOT EXISTS ix_blobs_uploaded ON blobs (uploaded_ms);
        """;

    /// <summary>
    /// Brings records written before holds and file counts existed up to date: the devices that completed an upload of
    /// a digest hold it, and every file a record names is counted.
    /// </summary>
    public static void MigrateExisting(SqliteConnection connection, SqliteTransaction transaction)
    {
        SqliteDatabase.Execute(connection, transaction, "UPDATE blobs SET uploaded_ms = created_ms WHERE uploaded_ms = 0");
        SqliteDatabase.Execute(connection, transaction,
            """
            INSERT OR IGNORE INTO blob_owners (device_id, sha256, created_ms)
            SELECT s.device_id, s.sha256, s.touched_ms FROM upload_sessions s JOIN blobs b ON b.sha256 = s.sha256 WHERE s.state = 2
            """);
        var records = new List<BlobRecord>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT record FROM blobs";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                records.Add(BlobRecordCodec.Decode((byte[])reader[0]));
            }
        }

        foreach (var record in records)
        {
            AddFileReferences(connection, transaction, record);
        }
    }

    /// <summary>The record for a digest, or null.</summary>
    public static BlobRecord? Get(SqliteConnection connection, SqliteTransaction? transaction, string sha256)
        => SqliteDatabase.Scalar(connection, transaction, "SELECT record FROM blobs WHERE sha256 = $sha", ("$sha", sha256)) is byte[] bytes
            ? BlobRecordCodec.Decode(bytes)
            : null;

    /// <summary>
    /// Adds the record unless the digest has one (then that one stands), and the device's hold on it. Returns the
    /// record that stands and whether it was added. A new upload restarts the digest's retention clocks.
    /// </summary>
    public static (BlobRecord Record, bool Added) Adopt(SqliteConnection connection, SqliteTransaction transaction, string deviceId, BlobRecord record, long now)
    {
        var existing = Get(connection, transaction, record.DeviceSha256);
        if (existing is null)
        {
            SqliteDatabase.Execute(connection, transaction,
                "INSERT INTO blobs (sha256, record, created_ms, uploaded_ms) VALUES ($sha, $record, $now, $now)",
                ("$sha", record.DeviceSha256), ("$record", BlobRecordCodec.Encode(record)), ("$now", now));
            AddFileReferences(connection, transaction, record);
        }
        else
        {
            SqliteDatabase.Execute(connection, transaction, "UPDATE blobs SET uploaded_ms = $now WHERE sha256 = $sha", ("$sha", record.DeviceSha256), ("$now", now));
            SqliteDatabase.Execute(connection, transaction, "UPDATE blob_refs SET done_ms = $now WHERE sha256 = $sha AND pending = 0",
                ("$sha", record.DeviceSha256), ("$now", now));
        }

        SqliteDatabase.Execute(connection, transaction,
            "INSERT OR IGNORE INTO blob_owners (device_id, sha256, created_ms) VALUES ($device, $sha, $now)",
            ("$device", deviceId), ("$sha", record.DeviceSha256), ("$now", now));
        return (existing ?? record, existing is null);
    }

    /// <summary>Removes the record, every hold on it and its proof references; returns the files nothing names any more.</summary>
    public static BlobRelease? Remove(SqliteConnection connection, SqliteTransaction transaction, string sha256)
    {
        var record = Get(connection, transaction, sha256);
        SqliteDatabase.Execute(connection, transaction, "DELETE FROM blob_owners WHERE sha256 = $sha", ("$sha", sha256));
        SqliteDatabase.Execute(connection, transaction, "DELETE FROM blob_refs WHERE sha256 = $sha", ("$sha", sha256));
        if (record is null)
        {
            return null;
        }

        SqliteDatabase.Execute(connection, transaction, "DELETE FROM blobs WHERE sha256 = $sha", ("$sha", sha256));
        var unreferenced = new List<string>();
        foreach (var file in record.Files)
        {
            SqliteDatabase.Execute(connection, transaction, "UPDATE blob_files SET refs = refs - 1 WHERE stored_sha256 = $file", ("$file", file));
            if (SqliteDatabase.Execute(connection, transaction, "DELETE FROM blob_files WHERE stored_sha256 = $file AND refs <= 0", ("$file", file)) == 1)
            {
                unreferenced.Add(file);
            }
        }

        return new BlobRelease(record, unreferenced);
    }

    private static void AddFileReferences(SqliteConnection connection, SqliteTransaction transaction, BlobRecord record)
    {
        foreach (var file in record.Files)
        {
            SqliteDatabase.Execute(connection, transaction,
                "INSERT INTO blob_files (stored_sha256, refs) VALUES ($file, 1) ON CONFLICT (stored_sha256) DO UPDATE SET refs = refs + 1",
                ("$file", file));
        }
    }
}

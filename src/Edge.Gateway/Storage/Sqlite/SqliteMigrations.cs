using Microsoft.Data.Sqlite;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>One step of the embedded state file's schema.</summary>
/// <param name="Name">What the step does, for errors and operators.</param>
/// <param name="Sql">Statements run in order, inside the transaction that applies the step.</param>
/// <param name="Data">Optional: moves existing rows to the new shape, after <paramref name="Sql"/>, in the same transaction.</param>
internal sealed record SqliteMigration(string Name, string Sql, Action<SqliteConnection, SqliteTransaction>? Data = null);

/// <summary>
/// The embedded state file's schema as ordered migrations, the one place it is written. The file's
/// <c>PRAGMA user_version</c> is the number of migrations applied to it; <see cref="SqliteDatabase"/> applies the rest,
/// in order and in one transaction, when it opens the file. To change the schema, append a migration (one line here
/// plus its SQL below); never edit or reorder one that has shipped, since files in the field already carry it.
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>Every migration, oldest first; migration <c>n</c> (1-based) takes a file from version n-1 to n.</summary>
    public static IReadOnlyList<SqliteMigration> All { get; } =
    [
        new("tables of upload sessions, blobs, scans, the outbox, proofs, photo references, dead letters, manifests", Baseline),
        new("which devices hold each photo, and how many records name each stored file", SqliteBlobTables.Schema, SqliteBlobTables.MigrateExisting),
        new("the device that first used each scan event id", "ALTER TABLE scan_events ADD COLUMN device_id TEXT;"),
        new("perceptual hashes of proofs' photos, in bands, for reuse detection", Proofs.Reuse.SqlitePhotoPrintIndex.Schema),
        new("revoked device tokens and devices", SqliteRevocationStore.Schema),
    ];

    /// <summary>The schema version a file has after every migration.</summary>
    public static int CurrentVersion => All.Count;

    /// <summary>
    /// Brings the file to the newest version: reads its version and applies what it lacks in one immediate transaction,
    /// so a crash leaves it at its old version and a second process opening the same file waits instead of migrating
    /// twice. Returns the version the file had. Refuses a file made by a newer gateway.
    /// </summary>
    public static long Apply(SqliteConnection connection, IReadOnlyList<SqliteMigration> migrations)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = (long)SqliteDatabase.Scalar(connection, transaction, "PRAGMA user_version")!;
        if (version > migrations.Count)
        {
            throw new InvalidOperationException(
                $"The state file {connection.DataSource} has schema version {version}; this gateway knows versions up to {migrations.Count}. Run a gateway at least as new as the one that wrote it.");
        }

        for (var i = (int)version; i < migrations.Count; i++)
        {
            try
            {
                SqliteDatabase.Execute(connection, transaction, migrations[i].Sql);
                migrations[i].Data?.Invoke(connection, transaction);
            }
            catch (SqliteException e)
            {
                throw new InvalidOperationException($"Migration {i + 1} ({migrations[i].Name}) of the state file {connection.DataSource} failed; the file is left at version {version}.", e);
            }
        }

        if (version < migrations.Count)
        {
            // PRAGMA takes no parameters; the value is a count, not input.
            SqliteDatabase.Execute(connection, transaction, $"PRAGMA user_version = {migrations.Count}");
        }

        transaction.Commit();
        return version;
    }

    // Version 1: the tables as they were before the schema had a version. IF NOT EXISTS throughout, so a file written
    // by a gateway of that time (user_version 0, some or all of these tables) is adopted as it is.
    private const string Baseline = """
        CREATE TABLE IF NOT EXISTS upload_sessions (
            upload_id        TEXT PRIMARY KEY,
            device_id        TEXT NOT NULL,
            sha256           TEXT NOT NULL,
            size_bytes       INTEGER NOT NULL,
            content_type     TEXT NOT NULL,
            state            INTEGER NOT NULL,
            committed_offset INTEGER NOT NULL,
            epoch            INTEGER NOT NULL,
            segments         TEXT NOT NULL,
            created_ms       INTEGER NOT NULL,
            touched_ms       INTEGER NOT NULL,
            lease_until_ms   INTEGER NOT NULL,
            blob             BLOB
        );
        CREATE INDEX IF NOT EXISTS ix_upload_sessions_device ON upload_sessions (device_id, state, lease_until_ms);
        CREATE INDEX IF NOT EXISTS ix_upload_sessions_touched ON upload_sessions (touched_ms);
        CREATE TABLE IF NOT EXISTS blobs (
            sha256     TEXT PRIMARY KEY,
            record     BLOB NOT NULL,
            created_ms INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS scan_events (
            event_id   TEXT PRIMARY KEY,
            expires_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_scan_events_expires ON scan_events (expires_ms);
        CREATE TABLE IF NOT EXISTS outbox (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            lane           INTEGER NOT NULL,
            item_id        TEXT NOT NULL,
            payload        BLOB NOT NULL,
            enqueued_ms    INTEGER NOT NULL,
            lease_owner    TEXT,
            lease_until_ms INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS ix_outbox_lane ON outbox (lane, id);
        CREATE TABLE IF NOT EXISTS proofs (
            proof_id   TEXT PRIMARY KEY,
            device_id  TEXT NOT NULL,
            receipt    BLOB NOT NULL,
            request    BLOB NOT NULL,
            photos     TEXT NOT NULL,
            released   INTEGER NOT NULL DEFAULT 0,
            updated_ms INTEGER NOT NULL,
            expires_ms INTEGER
        );
        CREATE INDEX IF NOT EXISTS ix_proofs_device ON proofs (device_id, updated_ms);
        CREATE INDEX IF NOT EXISTS ix_proofs_expires ON proofs (expires_ms) WHERE expires_ms IS NOT NULL;
        CREATE TABLE IF NOT EXISTS blob_refs (
            sha256  TEXT PRIMARY KEY,
            pending INTEGER NOT NULL,
            done_ms INTEGER
        );
        CREATE INDEX IF NOT EXISTS ix_blob_refs_done ON blob_refs (done_ms) WHERE pending = 0;
        CREATE TABLE IF NOT EXISTS dead_letters (
            id      TEXT PRIMARY KEY,
            lane    INTEGER NOT NULL,
            item_id TEXT NOT NULL,
            payload BLOB NOT NULL,
            reason  TEXT NOT NULL,
            at_ms   INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS manifests_last_good (
            route_id   TEXT PRIMARY KEY,
            version    INTEGER NOT NULL,
            manifest   BLOB NOT NULL,
            fetched_ms INTEGER NOT NULL
        );
        """;
}

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>Tables of scans, proofs, the outbox and dead letters in the embedded state file.</summary>
internal static class SqliteForwardingSchema
{
    private const string Schema = """
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
        """;

    /// <summary>
    /// MIGRATION (scan event id owners): each remembered scan event id records the device that took it. Run once on a
    /// file made before it (the column is then missing); rows taken before it keep a NULL owner, which is answered
    /// DUPLICATE to any device, as before, until they expire.
    /// </summary>
    internal const string ScanEventOwnerMigration = "ALTER TABLE scan_events ADD COLUMN device_id TEXT";

    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Ready = [];

    public static void Ensure(SqliteDatabase database)
    {
        lock (Gate)
        {
            if (!Ready.Add(database.FilePath))
            {
                return;
            }

            using var connection = database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Schema;
            command.ExecuteNonQuery();

            // Until the ordered migrations take it over: run only where the column is missing.
            command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('scan_events') WHERE name = 'device_id'";
            if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                command.CommandText = ScanEventOwnerMigration;
                try
                {
                    command.ExecuteNonQuery();
                }
                catch (Microsoft.Data.Sqlite.SqliteException e) when (e.Message.Contains("duplicate column", StringComparison.Ordinal))
                {
                    // Another process on the same file added it in between.
                }
            }
        }
    }
}

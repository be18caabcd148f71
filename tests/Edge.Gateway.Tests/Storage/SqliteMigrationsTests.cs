using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Storage;

/// <summary>The embedded state file's schema versions: a new file, a file written before versions, a failed step, a newer file.</summary>
public sealed class SqliteMigrationsTests : IDisposable
{
    // The tables exactly as gateways wrote them before the schema had a version (three places: the database, the
    // forwarding stores, the manifest store). Frozen here on purpose: it is the format files in the field have.
    private const string UnversionedSchema = """
        PRAGMA journal_mode = WAL;
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

    private readonly string _directory = Directory.CreateTempSubdirectory("edge-migrations-").FullName;

    private string FilePath => Path.Combine(_directory, "edge.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Open_NewFile_HasTheCurrentVersionAndEveryTable()
    {
        _ = Open();

        Assert.Equal(SqliteMigrations.CurrentVersion, UserVersion());
        Assert.Equal(
            ["blob_files", "blob_owners", "blob_refs", "blobs", "dead_letters", "manifests_last_good", "outbox", "photo_print_bands", "photo_print_layout",
             "photo_prints", "proofs", "revocations", "scan_events", "upload_sessions"],
            Tables());
    }

    [Fact]
    public async Task Open_FileWrittenBeforeVersions_IsAdoptedWithItsRows()
    {
        using (var old = Connect())
        {
            Run(old, UnversionedSchema);
            Run(old, """
                INSERT INTO outbox (lane, item_id, payload, enqueued_ms) VALUES (0, 'scan-1', x'0102', 1000);
                INSERT INTO dead_letters (id, lane, item_id, payload, reason, at_ms) VALUES ('proof:p-1', 1, 'p-1', x'', 'refused', 2000);
                """);
        }

        var database = Open();
        var outbox = new SqliteOutbox(database, Options.Create(new ForwardingOptions()), new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(5000)));
        var taken = await outbox.TakeAsync(OutboxLane.Scans, "c1", 10, default);
        var letters = await new SqliteDeadLetters(database).ListAsync(default);

        Assert.Equal(SqliteMigrations.CurrentVersion, UserVersion());
        Assert.Equal("scan-1", Assert.Single(taken).ItemId);
        Assert.Equal([1, 2], taken[0].Payload);
        Assert.Equal("refused", Assert.Single(letters).Reason);
    }

    [Fact]
    public void Open_Again_AppliesNothing()
    {
        _ = Open();
        using var connection = Connect();

        var before = SqliteMigrations.Apply(connection, SqliteMigrations.All);

        Assert.Equal(SqliteMigrations.CurrentVersion, before);
        Assert.Equal(SqliteMigrations.CurrentVersion, UserVersion());
    }

    [Fact]
    public void Apply_FailingStep_LeavesTheFileAtItsVersion()
    {
        SqliteMigration[] migrations =
        [
            new("first", "CREATE TABLE first_table (id INTEGER PRIMARY KEY)"),
            new("broken", "CREATE TABLE first_table (id INTEGER PRIMARY KEY)"),
        ];
        using var connection = Connect();

        var error = Assert.Throws<InvalidOperationException>(() => SqliteMigrations.Apply(connection, migrations));

        Assert.Contains("Migration 2 (broken)", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, UserVersion());
        Assert.Empty(Tables());
    }

    [Fact]
    public void Open_FileOfANewerGateway_IsRefused()
    {
        using (var newer = Connect())
        {
            Run(newer, $"PRAGMA user_version = {SqliteMigrations.CurrentVersion + 1}");
        }

        var error = Assert.Throws<InvalidOperationException>(Open);

        Assert.Contains($"schema version {SqliteMigrations.CurrentVersion + 1}", error.Message, StringComparison.Ordinal);
    }

    private SqliteDatabase Open() => new(Options.Create(new EdgeOptions { DataDirectory = _directory }));

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={FilePath}");
        connection.Open();
        return connection;
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long UserVersion()
    {
        using var connection = Connect();
        return (long)SqliteDatabase.Scalar(connection, null, "PRAGMA user_version")!;
    }

    private List<string> Tables()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}

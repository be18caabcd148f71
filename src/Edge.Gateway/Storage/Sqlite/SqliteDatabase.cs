using Edge.Gateway.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>
/// The embedded-mode state file: SQLite in WAL mode with full sync, so whatever was acknowledged survives a crash or
/// a power cut. Connections are pooled by Microsoft.Data.Sqlite; each is opened with the pragmas it needs.
/// </summary>
internal sealed class SqliteDatabase
{
    private const string Schema = """
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
        """;

    private readonly string _connectionString;

    public SqliteDatabase(IOptions<EdgeOptions> options)
    {
        var directory = Path.GetFullPath(options.Value.DataDirectory);
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, "edge.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = Schema;
        command.ExecuteNonQuery();
        EnsureBlobTables(connection);
    }

    private static void EnsureBlobTables(SqliteConnection connection)
    {
        if (Scalar(connection, null, "SELECT 1 FROM pragma_table_info('blobs') WHERE name = 'uploaded_ms'") is not null)
        {
            return;
        }

        SqliteForwardingSchema.Create(connection);
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, transaction, SqliteBlobTables.Schema);
        SqliteBlobTables.MigrateExisting(connection, transaction);
        transaction.Commit();
    }

    /// <summary>Path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Opens a pooled connection with a busy timeout. Durable (the default): every commit is fsync'd before it
    /// returns, for whatever is acknowledged to a device. Not durable: commits survive a process crash but a power cut
    /// may take the last ones back; for bookkeeping that is safe to redo (the forwarder's leases, receipts of what the
    /// core already holds: redone, the core answers DUPLICATE).
    /// </summary>
    public SqliteConnection Open(bool durable = true)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = durable
            ? "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;"
            : "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// Opens a pooled connection for reads only: no pragmas to run, so a lookup costs one statement. WAL readers do not
    /// wait for writers; the connection's default timeout covers the rare busy moment of a checkpoint.
    /// </summary>
    public SqliteConnection OpenRead()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Runs a statement with named parameters; returns the rows it changed.</summary>
    public static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs a query with named parameters; returns the first column of its first row, or null.</summary>
    public static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}

using Edge.Gateway.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>
/// The embedded-mode state file: SQLite in WAL mode with full sync, so whatever was acknowledged survives a crash or
/// a power cut. Opening it brings its schema to the current version (<see cref="SqliteMigrations"/>), once per
/// process, before any store uses it. Connections are pooled by Microsoft.Data.Sqlite; each is opened with the pragmas
/// it needs.
/// </summary>
internal sealed class SqliteDatabase
{
    private readonly string _connectionString;

    public SqliteDatabase(IOptions<EdgeOptions> options)
    {
        var directory = Path.GetFullPath(options.Value.DataDirectory);
        PrivateFiles.CreateDataDirectory(directory);
        FilePath = Path.Combine(directory, "edge.db");
        PrivateFiles.Prepare(FilePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        using var connection = Open();
        // Outside the migration transaction: the journal mode cannot change inside one. It stays with the file.
        Execute(connection, null, "PRAGMA journal_mode = WAL");
        SqliteMigrations.Apply(connection, SqliteMigrations.All);
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

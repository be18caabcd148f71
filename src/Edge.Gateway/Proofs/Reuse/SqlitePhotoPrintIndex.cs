using Edge.Gateway.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>
/// The embedded reuse index: tables in the gateway's SQLite state file. <c>photo_prints</c> holds one row per photo
/// of a proof; <c>photo_print_bands</c> one row per band of each print, keyed (band and value, time, print) so a lookup
/// is one statement per band reading the index ranges of the band values of <see cref="HashBands.Probes"/>, newest first;
/// the index carries the whole hash: distances are computed from the index
/// alone, and only matches are read from <c>photo_prints</c>. A change of band count
/// rebuilds the band rows at start.
/// </summary>
/// <remarks>
/// Writes use the state file's non-durable connection: a print lost to a power cut only weakens a later check, and
/// the proof it belongs to is written (durably) after it.
/// </remarks>
internal sealed class SqlitePhotoPrintIndex : IPhotoPrintIndex
{
    /// <summary>The index's tables (schema version 4, in <see cref="Storage.Sqlite.SqliteMigrations"/>).</summary>
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS photo_prints (
            id          INTEGER PRIMARY KEY,
            hash        INTEGER NOT NULL,
            proof_id    TEXT NOT NULL,
            device_id   TEXT NOT NULL,
            route_id    TEXT NOT NULL,
            stop_id     TEXT NOT NULL,
            place       TEXT NOT NULL,
            received_ms INTEGER NOT NULL,
            UNIQUE (proof_id, device_id, hash)
        );
        CREATE INDEX IF NOT EXISTS ix_photo_prints_received ON photo_prints (received_ms);
        CREATE TABLE IF NOT EXISTS photo_print_bands (
            band_key    INTEGER NOT NULL,
            received_ms INTEGER NOT NULL,
            print_id    INTEGER NOT NULL,
            hash        INTEGER NOT NULL,
            PRIMARY KEY (band_key, received_ms, print_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS photo_print_layout (
            id    INTEGER PRIMARY KEY CHECK (id = 0),
            bands INTEGER NOT NULL
        );
        """;

    private const int ExpiryBatch = 1000;

    private static readonly string[] PrintColumns = ["$hash", "$proof", "$device", "$route", "$stop", "$place", "$ms"];
    private static readonly string[] BandColumns = ["$k", "$ms", "$id", "$hash"];

    private readonly SqliteDatabase _database;
    private readonly HashBands _bands;
    private readonly int _limit;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _bandSql = new();

    public SqlitePhotoPrintIndex(SqliteDatabase database, IOptions<PhotoReuseOptions> options)
    {
        _database = database;
        _bands = new HashBands(options.Value.MaxDistance, options.Value.IndexBands);
        _limit = options.Value.MaxCandidatesPerBand;
        using var connection = _database.Open();
        EnsureLayout(connection);
    }

    public Task<IReadOnlyList<PhotoPrintMatch>> FindAsync(ulong hash, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var connection = _database.Open(durable: false);

        // A lookup reads a few pages in each of dozens of places of a file of hundreds of megabytes: mapped, they are
        // memory reads instead of a read() each (SQLite's own page cache is 2 MB).
        SqliteDatabase.Execute(connection, null, "PRAGMA mmap_size = 1073741824");
        var near = new Dictionary<long, int>();
        foreach (var band in _bands.Probes(hash).GroupBy(probe => HashBands.Split(probe).Band))
        {
            // One statement per band: its value and the neighbours within the radius, newest first.
            var values = band.ToList();
            using var command = connection.CreateCommand();
            command.CommandText = _bandSql.GetOrAdd(values.Count, static count =>
                $"SELECT print_id, hash FROM photo_print_bands WHERE band_key IN ({string.Join(',', Enumerable.Range(0, count).Select(i => $"$v{i}"))}) AND received_ms >= $since ORDER BY received_ms DESC LIMIT $limit");
            for (var i = 0; i < values.Count; i++)
            {
                command.Parameters.AddWithValue($"$v{i}", values[i]);
            }

            command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$limit", _limit);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var distance = HashBands.Distance(hash, unchecked((ulong)reader.GetInt64(1)));
                if (distance <= _bands.MaxDistance)
                {
                    near[reader.GetInt64(0)] = distance;
                }
            }
        }

        if (near.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<PhotoPrintMatch>>([]);
        }

        var matches = new List<PhotoPrintMatch>(near.Count);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT id, hash, proof_id, device_id, route_id, stop_id, place, received_ms FROM photo_prints WHERE id IN ({string.Join(',', near.Keys)})";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                matches.Add(new PhotoPrintMatch(ReadPrint(reader), near[reader.GetInt64(0)]));
            }
        }

        matches.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : b.Print.ReceivedAt.CompareTo(a.Print.ReceivedAt));
        return Task.FromResult<IReadOnlyList<PhotoPrintMatch>>(matches);
    }

    public Task AddAsync(IReadOnlyList<PhotoPrint> prints, CancellationToken cancellationToken)
    {
        using var connection = _database.Open(durable: false);
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO photo_prints (hash, proof_id, device_id, route_id, stop_id, place, received_ms)
            VALUES ($hash, $proof, $device, $route, $stop, $place, $ms)
            ON CONFLICT DO NOTHING RETURNING id
            """;
        var parameters = PrintColumns.Select(name => insert.Parameters.Add(name, name is "$hash" or "$ms" ? SqliteType.Integer : SqliteType.Text)).ToArray();
        using var bands = BandInsert(connection, transaction);
        foreach (var print in prints)
        {
            parameters[0].Value = unchecked((long)print.Hash);
            parameters[1].Value = print.ProofId;
            parameters[2].Value = print.DeviceId;
            parameters[3].Value = print.RouteId;
            parameters[4].Value = print.StopId;
            parameters[5].Value = print.Place;
            parameters[6].Value = print.ReceivedAt.ToUnixTimeMilliseconds();
            if (insert.ExecuteScalar() is long printId)
            {
                InsertBands(bands, printId, print.Hash, print.ReceivedAt.ToUnixTimeMilliseconds());
            }
        }

        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<int> RemoveExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var removed = 0;
        using var connection = _database.Open(durable: false);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var transaction = connection.BeginTransaction();
            var expired = new List<(long Id, ulong Hash, long ReceivedMs)>();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = "SELECT id, hash, received_ms FROM photo_prints WHERE received_ms < $before ORDER BY received_ms LIMIT $n";
                command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$n", ExpiryBatch);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    expired.Add((reader.GetInt64(0), unchecked((ulong)reader.GetInt64(1)), reader.GetInt64(2)));
                }
            }

            foreach (var (id, hash, receivedMs) in expired)
            {
                foreach (var key in _bands.Keys(hash))
                {
                    SqliteDatabase.Execute(connection, transaction, "DELETE FROM photo_print_bands WHERE band_key = $k AND received_ms = $ms AND print_id = $id",
                        ("$k", key), ("$ms", receivedMs), ("$id", id));
                }

                SqliteDatabase.Execute(connection, transaction, "DELETE FROM photo_prints WHERE id = $id", ("$id", id));
            }

            transaction.Commit();
            removed += expired.Count;
            if (expired.Count < ExpiryBatch)
            {
                break;
            }
        }

        return Task.FromResult(removed);
    }

    private static SqliteCommand BandInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR IGNORE INTO photo_print_bands (band_key, received_ms, print_id, hash) VALUES ($k, $ms, $id, $hash)";
        foreach (var name in BandColumns)
        {
            command.Parameters.Add(name, SqliteType.Integer);
        }

        return command;
    }

    private void InsertBands(SqliteCommand command, long printId, ulong hash, long receivedMs)
    {
        command.Parameters[1].Value = receivedMs;
        command.Parameters[2].Value = printId;
        command.Parameters[3].Value = unchecked((long)hash);
        foreach (var key in _bands.Keys(hash))
        {
            command.Parameters[0].Value = key;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Rebuilds the band rows when they were written for another band count.</summary>
    private void EnsureLayout(SqliteConnection connection)
    {
        if (SqliteDatabase.Scalar(connection, null, "SELECT bands FROM photo_print_layout WHERE id = 0") is long bands && bands == _bands.Count)
        {
            return;
        }

        using var transaction = connection.BeginTransaction();
        SqliteDatabase.Execute(connection, transaction, "DELETE FROM photo_print_bands");
        var prints = new List<(long Id, ulong Hash, long ReceivedMs)>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT id, hash, received_ms FROM photo_prints";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                prints.Add((reader.GetInt64(0), unchecked((ulong)reader.GetInt64(1)), reader.GetInt64(2)));
            }
        }

        using (var insert = BandInsert(connection, transaction))
        {
            foreach (var (id, hash, receivedMs) in prints)
            {
                InsertBands(insert, id, hash, receivedMs);
            }
        }

        SqliteDatabase.Execute(connection, transaction, "INSERT INTO photo_print_layout (id, bands) VALUES (0, $bands) ON CONFLICT (id) DO UPDATE SET bands = excluded.bands",
            ("$bands", _bands.Count));
        transaction.Commit();
    }

    private static PhotoPrint ReadPrint(SqliteDataReader reader) => new(
        unchecked((ulong)reader.GetInt64(1)), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)));
}

using Edge.Gateway.Forwarding;
using Edge.Gateway.Proofs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>Proofs, their outbox rows and their photos' references in the embedded state file, each change one transaction.</summary>
internal sealed class SqliteProofStore : IProofStore
{
    private readonly SqliteDatabase _database;
    private readonly IOptions<ForwardingOptions> _options;
    private readonly TimeProvider _timeProvider;

    public SqliteProofStore(SqliteDatabase database, IOptions<ForwardingOptions> options, TimeProvider timeProvider)
    {
        _database = database;
        _options = options;
        _timeProvider = timeProvider;
    }

    public Task<ProofAddResult> AddAsync(ProofRecord record, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var proofId = record.Receipt.ProofId;
        if (Read(connection, transaction, proofId) is { } existing)
        {
            return Task.FromResult(new ProofAddResult(ProofAddOutcome.Exists, Existing: existing));
        }

        foreach (var digest in record.PhotoDigests)
        {
            if (SqliteDatabase.Scalar(connection, transaction, "SELECT 1 FROM blob_owners WHERE device_id = $device AND sha256 = $sha",
                ("$device", record.DeviceId), ("$sha", digest)) is null)
            {
                return Task.FromResult(new ProofAddResult(ProofAddOutcome.PhotoMissing, MissingDigest: digest));
            }

            SqliteDatabase.Execute(connection, transaction,
                "INSERT INTO blob_refs (sha256, pending) VALUES ($sha, 1) ON CONFLICT (sha256) DO UPDATE SET pending = pending + 1",
                ("$sha", digest));
        }

        var now = record.Receipt.UpdatedAt.ToUnixTimeMilliseconds();
        SqliteDatabase.Execute(connection, transaction,
            "INSERT INTO proofs (proof_id, device_id, receipt, request, photos, updated_ms) VALUES ($id, $device, $receipt, $request, $photos, $now)",
            ("$id", proofId), ("$device", record.DeviceId), ("$receipt", ProofRecordCodec.Encode(record.Receipt)), ("$request", ProofRecordCodec.Encode(record.Proof)),
            ("$photos", string.Join(',', record.PhotoDigests)), ("$now", now));
        using (var outbox = new SqliteOutboxWriter(connection, transaction))
        {
            outbox.Append(OutboxLane.Proofs, proofId, [], now);
        }

        transaction.Commit();
        return Task.FromResult(new ProofAddResult(ProofAddOutcome.Added));
    }

    public Task<ProofRecord?> GetAsync(string proofId, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        return Task.FromResult(Read(connection, null, proofId));
    }

    // Not durable: a receipt lost to a power cut is redone when the outbox entry (also not yet removed) is forwarded again.
    public Task<bool> SetReceiptAsync(string proofId, ReceiptRecord receipt, CancellationToken cancellationToken)
    {
        using var connection = _database.Open(durable: false);
        using var transaction = connection.BeginTransaction(deferred: false);
        var now = receipt.UpdatedAt.ToUnixTimeMilliseconds();
        var final = receipt.IsFinal;
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT photos, released FROM proofs WHERE proof_id = $id";
            command.Parameters.AddWithValue("$id", proofId);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return Task.FromResult(false);
            }

            if (final && reader.GetInt64(1) == 0)
            {
                foreach (var digest in reader.GetString(0).Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    SqliteDatabase.Execute(connection, transaction,
                        "UPDATE blob_refs SET pending = pending - 1, done_ms = $now WHERE sha256 = $sha", ("$sha", digest), ("$now", now));
                }
            }
        }

        SqliteDatabase.Execute(connection, transaction,
            """
            UPDATE proofs SET receipt = $receipt, updated_ms = $now,
                released = CASE WHEN $final THEN 1 ELSE released END,
                expires_ms = CASE WHEN $final THEN $now + $retention ELSE NULL END
            WHERE proof_id = $id
            """,
            ("$receipt", ProofRecordCodec.Encode(receipt)), ("$now", now), ("$final", final), ("$retention", (long)_options.Value.DedupeRetention.TotalMilliseconds), ("$id", proofId));
        transaction.Commit();
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<ReceiptRecord>> ListChangedSinceAsync(string deviceId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT receipt FROM proofs WHERE device_id = $device AND updated_ms > $since ORDER BY updated_ms";
        command.Parameters.AddWithValue("$device", deviceId);
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        using var reader = command.ExecuteReader();
        var receipts = new List<ReceiptRecord>();
        while (reader.Read())
        {
            receipts.Add(ProofRecordCodec.DecodeReceipt((byte[])reader[0]));
        }

        return Task.FromResult<IReadOnlyList<ReceiptRecord>>(receipts);
    }

    private static ProofRecord? Read(SqliteConnection connection, SqliteTransaction? transaction, string proofId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT device_id, receipt, request, photos FROM proofs WHERE proof_id = $id";
        command.Parameters.AddWithValue("$id", proofId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new ProofRecord(reader.GetString(0), ProofRecordCodec.DecodeReceipt((byte[])reader[1]),
            ProofRecordCodec.DecodeProof((byte[])reader[2]), reader.GetString(3).Split(',', StringSplitOptions.RemoveEmptyEntries));
    }
}

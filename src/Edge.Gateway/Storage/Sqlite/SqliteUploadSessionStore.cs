using Edge.Gateway.Blobs;
using Microsoft.Data.Sqlite;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>Upload sessions in the embedded SQLite file. Claims run in an immediate transaction.</summary>
internal sealed class SqliteUploadSessionStore(SqliteDatabase database) : IUploadSessionStore
{
    private const string Columns = "upload_id, device_id, sha256, size_bytes, content_type, state, committed_offset, epoch, segments, created_ms, touched_ms, lease_until_ms, blob";

    public Task<UploadSession?> GetAsync(string uploadId, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        return Task.FromResult(Read(connection, null, uploadId)?.Session);
    }

    public Task<ClaimResult> ClaimAsync(UploadClaim claim, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var now = claim.Now.ToUnixTimeMilliseconds();
        var leaseUntil = claim.LeaseUntil.ToUnixTimeMilliseconds();
        var existing = Read(connection, transaction, claim.UploadId);

        if (existing is { Session: var session, LeaseUntilMs: var lease })
        {
            if (session.DeviceId != claim.DeviceId)
            {
                return Task.FromResult(new ClaimResult(ClaimOutcome.OtherDevice, null));
            }

            if (session.Sha256 != claim.Sha256 || session.SizeBytes != claim.SizeBytes)
            {
                return Task.FromResult(new ClaimResult(ClaimOutcome.DifferentObject, session));
            }

            if (session.State == UploadState.Completed)
            {
                return Task.FromResult(new ClaimResult(ClaimOutcome.Completed, session, Existed: true));
            }

            var live = lease > now;
            if (live && claim.OnlyIfIdle)
            {
                return Task.FromResult(new ClaimResult(ClaimOutcome.WriterActive, null));
            }

            if (!live && CountLiveWriters(connection, transaction, claim.DeviceId, claim.UploadId, now) >= claim.MaxConcurrentUploadsPerDevice)
            {
                return Task.FromResult(new ClaimResult(ClaimOutcome.TooManyUploads, null));
            }

            var epoch = session.Epoch + 1;
            var segments = UploadSession.NextSegments(session.Segments, epoch, session.CommittedOffset);
            SqliteDatabase.Execute(connection, transaction,
                "UPDATE upload_sessions SET epoch = $epoch, segments = $segments, touched_ms = $now, lease_until_ms = $lease WHERE upload_id = $id",
                ("$epoch", epoch), ("$segments", UploadSession.FormatSegments(segments)), ("$now", now), ("$lease", leaseUntil), ("$id", claim.UploadId));
            transaction.Commit();
            var claimed = session with { Epoch = epoch, Segments = segments, TouchedAt = claim.Now };
            return Task.FromResult(new ClaimResult(ClaimOutcome.Claimed, claimed, TookOver: live, Existed: true));
        }

        if (CountLiveWriters(connection, transaction, claim.DeviceId, claim.UploadId, now) >= claim.MaxConcurrentUploadsPerDevice)
        {
            return Task.FromResult(new ClaimResult(ClaimOutcome.TooManyUploads, null));
        }

        var (unfinished, deviceBytes) = DeviceReservation(connection, transaction, claim.DeviceId);
        if (unfinished >= claim.MaxUnfinishedPerDevice)
        {
            return Task.FromResult(new ClaimResult(ClaimOutcome.TooManyUnfinished, null));
        }

        if (deviceBytes + claim.SizeBytes > claim.MaxStagingBytesPerDevice)
        {
            return Task.FromResult(new ClaimResult(ClaimOutcome.DeviceStagingFull, null));
        }

        if (ReservedBytes(connection, transaction) + claim.SizeBytes > claim.MaxStagingBytes)
        {
            return Task.FromResult(new ClaimResult(ClaimOutcome.StagingFull, null));
        }

        StagingSegment[] first = [new StagingSegment(1, 0)];
        SqliteDatabase.Execute(connection, transaction,
            $"INSERT INTO upload_sessions ({Columns}) VALUES ($id, $device, $sha, $size, $type, 1, 0, 1, $segments, $now, $now, $lease, NULL)",
            ("$id", claim.UploadId), ("$device", claim.DeviceId), ("$sha", claim.Sha256), ("$size", claim.SizeBytes),
            ("$type", claim.ContentType), ("$segments", UploadSession.FormatSegments(first)), ("$now", now), ("$lease", leaseUntil));
        transaction.Commit();
        var created = new UploadSession(claim.UploadId, claim.DeviceId, claim.Sha256, claim.SizeBytes, claim.ContentType,
            UploadState.InProgress, 0, 1, first, claim.Now, claim.Now, null);
        return Task.FromResult(new ClaimResult(ClaimOutcome.Claimed, created));
    }

    public Task<bool> TryCommitAsync(UploadSession session, long committedOffset, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var rows = SqliteDatabase.Execute(connection, null,
            "UPDATE upload_sessions SET committed_offset = $offset, touched_ms = $now, lease_until_ms = $lease WHERE upload_id = $id AND epoch = $epoch AND state = 1",
            ("$offset", committedOffset), ("$now", now.ToUnixTimeMilliseconds()), ("$lease", leaseUntil.ToUnixTimeMilliseconds()),
            ("$id", session.UploadId), ("$epoch", session.Epoch));
        return Task.FromResult(rows == 1);
    }

    public Task<CompletionResult> TryCompleteAsync(UploadSession session, BlobRecord record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (SqliteDatabase.Scalar(connection, transaction, "SELECT 1 FROM upload_sessions WHERE upload_id = $id AND epoch = $epoch AND state = 1",
            ("$id", session.UploadId), ("$epoch", session.Epoch)) is null)
        {
            return Task.FromResult(new CompletionResult(false, null, false));
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var (stands, added) = SqliteBlobTables.Adopt(connection, transaction, session.DeviceId, record, nowMs);
        SqliteDatabase.Execute(connection, transaction,
            "UPDATE upload_sessions SET state = 2, committed_offset = size_bytes, blob = $blob, touched_ms = $now, lease_until_ms = 0 WHERE upload_id = $id",
            ("$blob", BlobRecordCodec.Encode(stands)), ("$now", nowMs), ("$id", session.UploadId));
        transaction.Commit();
        return Task.FromResult(new CompletionResult(true, stands, added));
    }

    public Task ReleaseAsync(UploadSession session, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, null, "UPDATE upload_sessions SET lease_until_ms = 0 WHERE upload_id = $id AND epoch = $epoch",
            ("$id", session.UploadId), ("$epoch", session.Epoch));
        return Task.CompletedTask;
    }

    public Task DiscardAsync(UploadSession session, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, null, "DELETE FROM upload_sessions WHERE upload_id = $id", ("$id", session.UploadId));
        return Task.CompletedTask;
    }

    public Task<bool> DiscardIfEmptyAsync(UploadSession session, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var rows = SqliteDatabase.Execute(connection, null,
            "DELETE FROM upload_sessions WHERE upload_id = $id AND epoch = $epoch AND state = 1 AND committed_offset = 0",
            ("$id", session.UploadId), ("$epoch", session.Epoch));
        return Task.FromResult(rows == 1);
    }

    public Task<IReadOnlyList<UploadSession>> ListEmptyAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<UploadSession>>(List("state = 1 AND committed_offset = 0 AND touched_ms < $before", touchedBefore, limit));

    public Task<IReadOnlyList<UploadSession>> ListIdleAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<UploadSession>>(List("touched_ms < $before", touchedBefore, limit));

    public Task<IReadOnlyList<UploadSession>> ListFullyReceivedAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<UploadSession>>(List("state = 1 AND committed_offset = size_bytes AND touched_ms < $before", touchedBefore, limit));

    private List<UploadSession> List(string condition, DateTimeOffset touchedBefore, int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM upload_sessions WHERE {condition} ORDER BY touched_ms LIMIT $limit";
        command.Parameters.AddWithValue("$before", touchedBefore.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var sessions = new List<UploadSession>();
        while (reader.Read())
        {
            sessions.Add(Map(reader).Session);
        }

        return sessions;
    }

    public Task<bool> TryExpireAsync(string uploadId, DateTimeOffset touchedBefore, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var rows = SqliteDatabase.Execute(connection, null, "DELETE FROM upload_sessions WHERE upload_id = $id AND touched_ms < $before",
            ("$id", uploadId), ("$before", touchedBefore.ToUnixTimeMilliseconds()));
        return Task.FromResult(rows == 1);
    }

    public Task<long> GetReservedStagingBytesAsync(CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        return Task.FromResult(ReservedBytes(connection, null));
    }

    private static long ReservedBytes(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(SUM(size_bytes), 0) FROM upload_sessions WHERE state = 1";
        return (long)command.ExecuteScalar()!;
    }

    private static (long Count, long Bytes) DeviceReservation(SqliteConnection connection, SqliteTransaction transaction, string deviceId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM upload_sessions WHERE device_id = $device AND state = 1";
        command.Parameters.AddWithValue("$device", deviceId);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static long CountLiveWriters(SqliteConnection connection, SqliteTransaction transaction, string deviceId, string exceptUploadId, long now)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM upload_sessions WHERE device_id = $device AND state = 1 AND lease_until_ms > $now AND upload_id <> $id";
        command.Parameters.AddWithValue("$device", deviceId);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$id", exceptUploadId);
        return (long)command.ExecuteScalar()!;
    }

    private static (UploadSession Session, long LeaseUntilMs)? Read(SqliteConnection connection, SqliteTransaction? transaction, string uploadId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM upload_sessions WHERE upload_id = $id";
        command.Parameters.AddWithValue("$id", uploadId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Map(reader) : null;
    }

    private static (UploadSession Session, long LeaseUntilMs) Map(SqliteDataReader reader)
    {
        var session = new UploadSession(
            UploadId: reader.GetString(0),
            DeviceId: reader.GetString(1),
            Sha256: reader.GetString(2),
            SizeBytes: reader.GetInt64(3),
            ContentType: reader.GetString(4),
            State: (UploadState)reader.GetInt32(5),
            CommittedOffset: reader.GetInt64(6),
            Epoch: reader.GetInt64(7),
            Segments: UploadSession.ParseSegments(reader.GetString(8)),
            CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
            TouchedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10)),
            Blob: reader.IsDBNull(12) ? null : BlobRecordCodec.Decode((byte[])reader[12]));
        return (session, reader.GetInt64(11));
    }
}

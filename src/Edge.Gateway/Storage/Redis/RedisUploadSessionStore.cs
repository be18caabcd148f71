using System.Globalization;
using Edge.Gateway.Blobs;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Upload sessions in Redis, shared by every replica. Each state change is one Lua script, so claims, commits and
/// completions are atomic and fenced by the writer's epoch.
/// </summary>
internal sealed class RedisUploadSessionStore(IConnectionMultiplexer redis, RedisKeys keys) : IUploadSessionStore
{
    // KEYS: session, device writers, reserved counter, touch index, device unfinished, empty index.
    // ARGV: id, device, sha, size, type, now, lease, max writers, max staging bytes, only if idle (1/0),
    //       max unfinished per device, max staged bytes per device.
    private const string ClaimScript = """
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
        if redis.call('EXISTS', KEYS[1]) == 1 then
          local h = redis.call('HMGET', KEYS[1], 'device', 'sha', 'size', 'state', 'committed', 'epoch', 'segments', 'lease')
          if h[1] ~= ARGV[2] then return {'other'} end
          if h[2] ~= ARGV[3] or h[3] ~= ARGV[4] then return {'different'} end
          if h[4] == '2' then return {'completed'} end
          local live = tonumber(h[8]) > tonumber(ARGV[6])
          if live and ARGV[10] == '1' then return {'active'} end
          if not live then
            local others = redis.call('ZCARD', KEYS[2])
            if redis.call('ZSCORE', KEYS[2], ARGV[1]) then others = others - 1 end
            if others >= tonumber(ARGV[8]) then return {'busy'} end
          end
          local epoch = tonumber(h[6]) + 1
          local segments = h[7]
          local last = tonumber(string.match(segments, ':(%d+)$'))
          if last and last >= tonumber(h[5]) then
            segments = string.match(segments, '^(.*),[^,]*$') or ''
          end
          if segments ~= '' then segments = segments .. ',' end
          segments = segments .. epoch .. ':' .. h[5]
          redis.call('HSET', KEYS[1], 'epoch', epoch, 'segments', segments, 'touched', ARGV[6], 'lease', ARGV[7])
          redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
          redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
          if h[5] == '0' then redis.call('ZADD', KEYS[6], ARGV[6], ARGV[1]) end
          if live then return {'claimed', '1', '1'} end
          return {'claimed', '0', '1'}
        end
        if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[8]) then return {'busy'} end
        if redis.call('HLEN', KEYS[5]) >= tonumber(ARGV[11]) then return {'unfinished'} end
        local mine = 0
        for _, v in ipairs(redis.call('HVALS', KEYS[5])) do mine = mine + tonumber(v) end
        if mine + tonumber(ARGV[4]) > tonumber(ARGV[12]) then return {'devicefull'} end
        local reserved = tonumber(redis.call('GET', KEYS[3]) or '0')
        if reserved + tonumber(ARGV[4]) > tonumber(ARGV[9]) then return {'full'} end
        redis.call('INCRBY', KEYS[3], ARGV[4])
        redis.call('HSET', KEYS[1], 'device', ARGV[2], 'sha', ARGV[3], 'size', ARGV[4], 'type', ARGV[5], 'state', '1',
          'committed', '0', 'epoch', '1', 'segments', '1:0', 'created', ARGV[6], 'touched', ARGV[6], 'lease', ARGV[7])
        redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
        redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
        redis.call('HSET', KEYS[5], ARGV[1], ARGV[4])
        redis.call('ZADD', KEYS[6], ARGV[6], ARGV[1])
        return {'claimed', '0', '0'}
        """;

    // KEYS: session, device writers, touch index, fully received index, empty index. ARGV: id, epoch, offset, now, lease.
    private const string CommitScript = """
        local h = redis.call('HMGET', KEYS[1], 'epoch', 'state', 'size')
        if h[1] ~= ARGV[2] or h[2] ~= '1' then return 0 end
        redis.call('HSET', KEYS[1], 'committed', ARGV[3], 'touched', ARGV[4], 'lease', ARGV[5])
        redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
        redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
        if ARGV[3] == h[3] then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1]) end
        if ARGV[3] ~= '0' then redis.call('ZREM', KEYS[5], ARGV[1]) end
        return 1
        """;

    // KEYS: session, device writers, touch index, reserved counter, blob, owners, device blobs, refs, releasable, unclaimed,
    // fully received index, device unfinished, empty index.
    // ARGV: id, epoch, record, now, device, sha, files (comma-separated), file prefix.
    private const string CompleteScript = """
        local h = redis.call('HMGET', KEYS[1], 'epoch', 'state', 'size')
        if h[1] ~= ARGV[2] or h[2] ~= '1' then return {0} end
        local record = redis.call('GET', KEYS[5])
        local added = 0
        if not record then
          record = ARGV[3]
          added = 1
          redis.call('SET', KEYS[5], record)
          for f in string.gmatch(ARGV[7], '[^,]+') do redis.call('INCR', ARGV[8] .. f) end
        end
        redis.call('SADD', KEYS[6], ARGV[5])
        redis.call('SADD', KEYS[7], ARGV[6])
        local pending = redis.call('HGET', KEYS[8], 'pending')
        if pending then
          if tonumber(pending) <= 0 then
            redis.call('HSET', KEYS[8], 'done', ARGV[4])
            redis.call('ZADD', KEYS[9], ARGV[4], ARGV[6])
          end
        else
          redis.call('ZADD', KEYS[10], ARGV[4], ARGV[6])
        end
        redis.call('HSET', KEYS[1], 'state', '2', 'committed', h[3], 'blob', record, 'touched', ARGV[4], 'lease', '0')
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
        redis.call('DECRBY', KEYS[4], h[3])
        redis.call('ZREM', KEYS[11], ARGV[1])
        redis.call('HDEL', KEYS[12], ARGV[1])
        redis.call('ZREM', KEYS[13], ARGV[1])
        return {1, record, added}
        """;

    // KEYS: session, device writers. ARGV: id, epoch.
    private const string ReleaseScript = """
        if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], 'lease', '0')
        redis.call('ZREM', KEYS[2], ARGV[1])
        return 1
        """;

    // KEYS: session, device writers, touch index, reserved counter, fully received index, device unfinished, empty index.
    // ARGV: id, touched-before (ms, or '+inf'), epoch that must still hold with nothing received (or '').
    private const string RemoveScript = """
        local h = redis.call('HMGET', KEYS[1], 'state', 'size', 'touched', 'epoch', 'committed')
        if not h[1] then return 0 end
        if ARGV[2] ~= '+inf' and tonumber(h[3]) >= tonumber(ARGV[2]) then return 0 end
        if ARGV[3] ~= '' and (h[4] ~= ARGV[3] or h[1] ~= '1' or h[5] ~= '0') then return 0 end
        if h[1] == '1' then redis.call('DECRBY', KEYS[4], h[2]) end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        redis.call('ZREM', KEYS[5], ARGV[1])
        redis.call('HDEL', KEYS[6], ARGV[1])
        redis.call('ZREM', KEYS[7], ARGV[1])
        return 1
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<UploadSession?> GetAsync(string uploadId, CancellationToken cancellationToken)
        => Map(uploadId, await Db.HashGetAllAsync(keys.Upload(uploadId)));

    public async Task<ClaimResult> ClaimAsync(UploadClaim claim, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(ClaimScript,
            [keys.Upload(claim.UploadId), keys.DeviceWriters(claim.DeviceId), keys.StagingReserved, keys.UploadsByTouch,
             keys.DeviceUnfinished(claim.DeviceId), keys.UploadsEmpty],
            [claim.UploadId, claim.DeviceId, claim.Sha256, claim.SizeBytes, claim.ContentType,
             claim.Now.ToUnixTimeMilliseconds(), claim.LeaseUntil.ToUnixTimeMilliseconds(),
             claim.MaxConcurrentUploadsPerDevice, claim.MaxStagingBytes, claim.OnlyIfIdle ? "1" : "0",
             claim.MaxUnfinishedPerDevice, claim.MaxStagingBytesPerDevice]))!;

        switch ((string?)result[0])
        {
            case "other":
                return new ClaimResult(ClaimOutcome.OtherDevice, null);
            case "busy":
                return new ClaimResult(ClaimOutcome.TooManyUploads, null);
            case "full":
                return new ClaimResult(ClaimOutcome.StagingFull, null);
            case "unfinished":
                return new ClaimResult(ClaimOutcome.TooManyUnfinished, null);
            case "devicefull":
                return new ClaimResult(ClaimOutcome.DeviceStagingFull, null);
            case "active":
                return new ClaimResult(ClaimOutcome.WriterActive, null);
            case "different":
                return new ClaimResult(ClaimOutcome.DifferentObject, await GetAsync(claim.UploadId, cancellationToken));
            case "completed":
                return new ClaimResult(ClaimOutcome.Completed, await GetAsync(claim.UploadId, cancellationToken), Existed: true);
            default:
                var session = await GetAsync(claim.UploadId, cancellationToken)
                    ?? throw new InvalidOperationException($"Upload {claim.UploadId} vanished right after it was claimed.");
                return new ClaimResult(ClaimOutcome.Claimed, session, TookOver: (string?)result[1] == "1", Existed: (string?)result[2] == "1");
        }
    }

    public async Task<bool> TryCommitAsync(UploadSession session, long committedOffset, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
        => (int)await Db.ScriptEvaluateAsync(CommitScript,
            [keys.Upload(session.UploadId), keys.DeviceWriters(session.DeviceId), keys.UploadsByTouch, keys.UploadsFullyReceived, keys.UploadsEmpty],
            [session.UploadId, session.Epoch, committedOffset, now.ToUnixTimeMilliseconds(), leaseUntil.ToUnixTimeMilliseconds()]) == 1;

    public async Task<CompletionResult> TryCompleteAsync(UploadSession session, BlobRecord record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var sha = session.Sha256;
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(CompleteScript,
            [
                keys.Upload(session.UploadId), keys.DeviceWriters(session.DeviceId), keys.UploadsByTouch, keys.StagingReserved,
                keys.Blob(sha), keys.BlobOwners(sha), keys.DeviceBlobs(session.DeviceId), keys.BlobRefs(sha), keys.BlobsReleasable, keys.BlobsUnclaimed,
                keys.UploadsFullyReceived, keys.DeviceUnfinished(session.DeviceId), keys.UploadsEmpty,
            ],
            [
                session.UploadId, session.Epoch, BlobRecordCodec.Encode(record), now.ToUnixTimeMilliseconds(), session.DeviceId, sha,
                string.Join(',', record.Files), keys.BlobFilePrefix,
            ]))!;
        return (long)result[0] == 0
            ? new CompletionResult(false, null, false)
            : new CompletionResult(true, BlobRecordCodec.Decode((byte[])result[1]!), (long)result[2] == 1);
    }

    public Task ReleaseAsync(UploadSession session, CancellationToken cancellationToken)
        => Db.ScriptEvaluateAsync(ReleaseScript,
            [keys.Upload(session.UploadId), keys.DeviceWriters(session.DeviceId)],
            [session.UploadId, session.Epoch]);

    public Task DiscardAsync(UploadSession session, CancellationToken cancellationToken)
        => RemoveAsync(session.UploadId, session.DeviceId, "+inf");

    public Task<bool> DiscardIfEmptyAsync(UploadSession session, CancellationToken cancellationToken)
        => RemoveAsync(session.UploadId, session.DeviceId, "+inf", session.Epoch.ToString(CultureInfo.InvariantCulture));

    public Task<IReadOnlyList<UploadSession>> ListEmptyAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken)
        => ListAsync(keys.UploadsEmpty, touchedBefore, limit, cancellationToken);

    public Task<IReadOnlyList<UploadSession>> ListIdleAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken)
        => ListAsync(keys.UploadsByTouch, touchedBefore, limit, cancellationToken);

    public async Task<IReadOnlyList<UploadSession>> ListFullyReceivedAsync(DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken)
        => (await ListAsync(keys.UploadsFullyReceived, touchedBefore, limit, cancellationToken))
            .Where(s => s.State == UploadState.InProgress && s.CommittedOffset == s.SizeBytes).ToList();

    private async Task<IReadOnlyList<UploadSession>> ListAsync(RedisKey index, DateTimeOffset touchedBefore, int limit, CancellationToken cancellationToken)
    {
        var ids = await Db.SortedSetRangeByScoreAsync(index, double.NegativeInfinity,
            touchedBefore.ToUnixTimeMilliseconds(), Exclude.Stop, take: limit);
        var sessions = new List<UploadSession>(ids.Length);
        foreach (var id in ids)
        {
            if (await GetAsync(id!, cancellationToken) is { } session)
            {
                sessions.Add(session);
            }
            else
            {
                await Db.SortedSetRemoveAsync(index, id);
            }
        }

        return sessions;
    }

    public async Task<bool> TryExpireAsync(string uploadId, DateTimeOffset touchedBefore, CancellationToken cancellationToken)
    {
        var device = await Db.HashGetAsync(keys.Upload(uploadId), "device");
        return !device.IsNull && await RemoveAsync(uploadId, device!, touchedBefore.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
    }

    public async Task<long> GetReservedStagingBytesAsync(CancellationToken cancellationToken)
        => (long?)await Db.StringGetAsync(keys.StagingReserved) ?? 0;

    private async Task<bool> RemoveAsync(string uploadId, string deviceId, string touchedBefore, string onlyIfEmptyAtEpoch = "")
        => (int)await Db.ScriptEvaluateAsync(RemoveScript,
            [keys.Upload(uploadId), keys.DeviceWriters(deviceId), keys.UploadsByTouch, keys.StagingReserved, keys.UploadsFullyReceived,
             keys.DeviceUnfinished(deviceId), keys.UploadsEmpty],
            [uploadId, touchedBefore, onlyIfEmptyAtEpoch]) == 1;

    private static UploadSession? Map(string uploadId, HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }

        var fields = entries.ToDictionary(e => (string)e.Name!, e => e.Value);
        var blob = fields.GetValueOrDefault("blob");
        return new UploadSession(
            UploadId: uploadId,
            DeviceId: (string)fields["device"]!,
            Sha256: (string)fields["sha"]!,
            SizeBytes: (long)fields["size"],
            ContentType: (string)fields["type"]!,
            State: (UploadState)(int)fields["state"],
            CommittedOffset: (long)fields["committed"],
            Epoch: (long)fields["epoch"],
            Segments: UploadSession.ParseSegments((string)fields["segments"]!),
            CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds((long)fields["created"]),
            TouchedAt: DateTimeOffset.FromUnixTimeMilliseconds((long)fields["touched"]),
            Blob: blob.IsNullOrEmpty ? null : BlobRecordCodec.Decode((byte[])blob!));
    }
}

using System.Globalization;
using Edge.Gateway.Blobs;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// The blob index in Redis: a small record per device digest, a set of holders per digest and of digests per device,
/// a counter per stored file. Every change is one script, atomic across replicas.
/// </summary>
internal sealed class RedisBlobIndex(IConnectionMultiplexer redis, RedisKeys keys) : IBlobIndex
{
    // KEYS: blob, owners, device blobs, refs, unclaimed, releasable. ARGV: sha, device, file prefix, device prefix.
    private const string ReleaseWithheldScript = RedisBlobScripts.RemoveBlob + """
        if redis.call('EXISTS', KEYS[4]) == 1 then return {0} end
        if redis.call('SREM', KEYS[2], ARGV[2]) == 0 then return {0} end
        redis.call('SREM', KEYS[3], ARGV[1])
        if redis.call('SCARD', KEYS[2]) > 0 then return {1} end
        redis.call('ZREM', KEYS[5], ARGV[1])
        redis.call('ZREM', KEYS[6], ARGV[1])
        local record, gone = remove_blob(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[3], ARGV[4])
        if not record then return {1} end
        return {2, record, unpack(gone)}
        """;

    // KEYS: blob, owners, refs, unclaimed, releasable. ARGV: sha, before ms, unclaimed-before ms, file prefix, device prefix.
    private const string ReleaseScript = RedisBlobScripts.RemoveBlob + """
        local pending = redis.call('HGET', KEYS[3], 'pending')
        local due = false
        if pending then
          if tonumber(pending) > 0 then
            redis.call('ZREM', KEYS[5], ARGV[1])
            redis.call('ZREM', KEYS[4], ARGV[1])
            return {0}
          end
          due = tonumber(redis.call('HGET', KEYS[3], 'done') or '0') <= tonumber(ARGV[2])
        else
          local uploaded = redis.call('ZSCORE', KEYS[4], ARGV[1])
          due = uploaded ~= false and tonumber(uploaded) <= tonumber(ARGV[3])
        end
        if not due then return {0} end
        redis.call('ZREM', KEYS[4], ARGV[1])
        redis.call('ZREM', KEYS[5], ARGV[1])
        local record, gone = remove_blob(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[4], ARGV[5])
        if not record then return {0} end
        return {2, record, unpack(gone)}
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<BlobRecord?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        var value = await Db.StringGetAsync(keys.Blob(sha256));
        return value.IsNullOrEmpty ? null : BlobRecordCodec.Decode((byte[])value!);
    }

    public async Task<BlobRecord?> GetOwnedAsync(string deviceId, string sha256, CancellationToken cancellationToken)
    {
        var batch = Db.CreateBatch();
        var held = batch.SetContainsAsync(keys.DeviceBlobs(deviceId), sha256);
        var value = batch.StringGetAsync(keys.Blob(sha256));
        batch.Execute();
        return await held && await value is { IsNullOrEmpty: false } record ? BlobRecordCodec.Decode((byte[])record!) : null;
    }

    public async Task<IReadOnlyList<string>> FindMissingAsync(string deviceId, IReadOnlyList<string> digests, CancellationToken cancellationToken)
    {
        if (digests.Count == 0)
        {
            return [];
        }

        var held = await Db.SetContainsAsync(keys.DeviceBlobs(deviceId), [.. digests.Select(d => (RedisValue)d)]);
        return digests.Where((_, i) => !held[i]).ToList();
    }

    public async Task<BlobRelease?> ReleaseWithheldAsync(string deviceId, string sha256, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(ReleaseWithheldScript,
            [keys.Blob(sha256), keys.BlobOwners(sha256), keys.DeviceBlobs(deviceId), keys.BlobRefs(sha256), keys.BlobsUnclaimed, keys.BlobsReleasable],
            [sha256, deviceId, keys.BlobFilePrefix, keys.DevicePrefix]))!;
        return (long)result[0] switch
        {
            0 => null,
            1 => new BlobRelease(null, []),
            _ => Release(result),
        };
    }

    public async Task<IReadOnlyList<string>> ListReleasableAsync(DateTimeOffset before, DateTimeOffset unclaimedBefore, int limit, CancellationToken cancellationToken)
    {
        var done = await Db.SortedSetRangeByScoreAsync(keys.BlobsReleasable, double.NegativeInfinity, before.ToUnixTimeMilliseconds(), take: limit);
        var unclaimed = await Db.SortedSetRangeByScoreAsync(keys.BlobsUnclaimed, double.NegativeInfinity, unclaimedBefore.ToUnixTimeMilliseconds(), take: limit);
        return done.Concat(unclaimed).Select(v => (string)v!).Distinct(StringComparer.Ordinal).ToList();
    }

    public async Task<BlobRelease?> TryReleaseAsync(string sha256, DateTimeOffset before, DateTimeOffset unclaimedBefore, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(ReleaseScript,
            [keys.Blob(sha256), keys.BlobOwners(sha256), keys.BlobRefs(sha256), keys.BlobsUnclaimed, keys.BlobsReleasable],
            [sha256, before.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
             unclaimedBefore.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), keys.BlobFilePrefix, keys.DevicePrefix]))!;
        return (long)result[0] == 0 ? null : Release(result);
    }

    public async Task<bool> IsFileReferencedAsync(string storedSha256, CancellationToken cancellationToken)
        => await Db.KeyExistsAsync(keys.BlobFile(storedSha256));

    private static BlobRelease Release(RedisResult[] result)
        => new(BlobRecordCodec.Decode((byte[])result[1]!), result.Skip(2).Select(r => (string)r!).ToList());
}

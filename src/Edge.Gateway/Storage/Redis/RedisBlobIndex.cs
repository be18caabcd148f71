using Edge.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>The blob index in Redis: one small key per device digest.</summary>
internal sealed class RedisBlobIndex(IConnectionMultiplexer redis, RedisKeys keys) : IBlobIndex
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<StoredBlob?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        var value = await Db.StringGetAsync(keys.Blob(sha256));
        return value.IsNullOrEmpty ? null : StoredBlob.Parser.ParseFrom((byte[])value!);
    }

    public async Task<IReadOnlyList<string>> FindMissingAsync(IReadOnlyList<string> digests, CancellationToken cancellationToken)
    {
        var batch = Db.CreateBatch();
        var checks = digests.Select(d => batch.KeyExistsAsync(keys.Blob(d))).ToArray();
        batch.Execute();
        var present = await Task.WhenAll(checks);
        return digests.Where((_, i) => !present[i]).ToList();
    }

    public async Task<StoredBlob> PutAsync(StoredBlob blob, CancellationToken cancellationToken)
    {
        if (await Db.StringSetAsync(keys.Blob(blob.Sha256), blob.ToByteArray(), when: When.NotExists))
        {
            return blob;
        }

        return await GetAsync(blob.Sha256, cancellationToken) ?? blob;
    }
}

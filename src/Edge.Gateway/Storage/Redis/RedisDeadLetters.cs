using System.Text.Json;
using Edge.Gateway.Forwarding;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>Dead letters in one Redis hash, by id; each value is a small JSON document.</summary>
internal sealed class RedisDeadLetters(IConnectionMultiplexer redis, RedisKeys keys) : IDeadLetters
{
    public async Task AddAsync(DeadLetter letter, CancellationToken cancellationToken)
        => await redis.GetDatabase().HashSetAsync(keys.DeadLetters, letter.Id, JsonSerializer.SerializeToUtf8Bytes(letter));

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(CancellationToken cancellationToken)
    {
        var values = await redis.GetDatabase().HashValuesAsync(keys.DeadLetters);
        return values.Select(v => JsonSerializer.Deserialize<DeadLetter>((byte[])v!)!).OrderBy(l => l.At).ToList();
    }

    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
        => await redis.GetDatabase().HashDeleteAsync(keys.DeadLetters, id);
}

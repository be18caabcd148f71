using Edge.Gateway.Hosting;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>Redis mode's health probe: Redis answers a PING within two seconds.</summary>
internal sealed class RedisStateProbe(IConnectionMultiplexer redis) : IStateProbe
{
    public async Task<string> ProbeAsync(CancellationToken cancellationToken)
    {
        var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        return $"Redis answered in {latency.TotalMilliseconds:0.0} ms.";
    }
}

using Edge.Gateway.Storage.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Edge.Gateway.Hosting;

/// <summary>
/// Serving only while the shared state answers: Redis answers a PING (Redis mode), or the SQLite file answers a query
/// (embedded mode). A balancer that asks grpc.health.v1 then stops sending handhelds to a replica that cannot store
/// what they send.
/// </summary>
internal sealed class StateHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (services.GetService<IConnectionMultiplexer>() is { } redis)
            {
                var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
                return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:0.0} ms.");
            }

            using var connection = services.GetRequiredService<SqliteDatabase>().Open(durable: false);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
            return HealthCheckResult.Healthy("The embedded state file answered.");
        }
        catch (Exception e) when (e is RedisException or TimeoutException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            return HealthCheckResult.Unhealthy("The gateway's state store does not answer.", e);
        }
    }
}

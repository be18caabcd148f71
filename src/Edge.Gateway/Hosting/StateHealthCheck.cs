using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Edge.Gateway.Hosting;

/// <summary>
/// Serving only while the shared state answers: Redis answers a PING (Redis mode), or the SQLite file answers a query
/// (embedded mode). A balancer that asks grpc.health.v1 then stops sending handhelds to a replica that cannot store
/// what they send.
/// </summary>
internal sealed class StateHealthCheck(IStateProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return HealthCheckResult.Healthy(await probe.ProbeAsync(cancellationToken));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            return HealthCheckResult.Unhealthy("The gateway's state store does not answer.", e);
        }
    }
}

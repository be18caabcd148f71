using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Edge.Gateway.Hosting;

/// <summary>
/// Probes the state store once before the gateway accepts calls and hands the result to the health publishers, so
/// grpc.health.v1 answers from its first call instead of NOT_FOUND until the periodic probe has run.
/// </summary>
internal sealed class InitialHealthProbe(HealthCheckService health, IEnumerable<IHealthCheckPublisher> publishers) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        foreach (var publisher in publishers)
        {
            await publisher.PublishAsync(report, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

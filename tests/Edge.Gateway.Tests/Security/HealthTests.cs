using Edge.Gateway.Tests.Infrastructure;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Edge.Gateway.Tests.Security;

public sealed class HealthTests
{
    [Fact]
    public async Task Health_FollowsTheRedisTheGatewayStoresIn()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        await using var host = await GatewayHost.StartAsync(redis: redis.ConnectionString);
        var health = new Health.HealthClient(host.Channel(deviceId: null));

        // Answered from the first call (the state is probed before the gateway listens), then from the periodic probe.
        var before = await health.CheckAsync(new HealthCheckRequest());
        await redis.DisposeAsync();
        var after = before;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (after.Status == HealthCheckResponse.Types.ServingStatus.Serving && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            after = await health.CheckAsync(new HealthCheckRequest());
        }

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, before.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, after.Status);
    }

    [Fact]
    public async Task Health_ManyChecks_ProbeTheStateOnlyPeriodically()
    {
        var probes = new CountingCheck();
        await using var host = await GatewayHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Edge:HealthProbePeriod"] = "00:01:00" },
            services: s => s.AddHealthChecks().AddCheck("counting", probes));
        var health = new Health.HealthClient(host.Channel(deviceId: null));

        var answers = new List<HealthCheckResponse.Types.ServingStatus>();
        for (var i = 0; i < 50; i++)
        {
            answers.Add((await health.CheckAsync(new HealthCheckRequest())).Status);
        }

        Assert.All(answers, status => Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, status));

        // The probe before listening and the periodic one's first run; not one per call.
        Assert.InRange(probes.Count, 1, 2);
    }

    private sealed class CountingCheck : IHealthCheck
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(HealthCheckResult.Healthy());
        }
    }
}

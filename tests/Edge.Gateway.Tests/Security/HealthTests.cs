using Edge.Gateway.Tests.Infrastructure;
using Grpc.Health.V1;

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

        var before = await health.CheckAsync(new HealthCheckRequest());
        await redis.DisposeAsync();
        var after = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, before.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, after.Status);
    }
}

using Microsoft.Extensions.DependencyInjection;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>Tests that start in-process gateways (<see cref="GatewayHost"/>); each is stopped when its test ends.</summary>
public abstract class HostedGatewayTests : IAsyncLifetime
{
    private readonly List<GatewayHost> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>Starts a gateway (Redis mode when <paramref name="redis"/> is set) that is stopped with the test.</summary>
    protected async Task<GatewayHost> StartHostAsync(
        string? redis = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? redisKeyPrefix = null)
    {
        var host = await GatewayHost.StartAsync(redis: redis, settings: settings, services: services, redisKeyPrefix: redisKeyPrefix);
        _hosts.Add(host);
        return host;
    }
}

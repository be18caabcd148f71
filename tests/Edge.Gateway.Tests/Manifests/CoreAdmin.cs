using Edge.Gateway.Core;
using Edge.Gateway.Tests.Infrastructure;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using CoreV1 = global::Core.V1;

namespace Edge.Gateway.Tests.Manifests;

/// <summary>The core simulator's Admin service, to publish manifests, inject faults and read call counters.</summary>
public sealed class CoreAdmin : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly CoreV1.Admin.AdminClient _client;

    public CoreAdmin(Uri address)
    {
        _channel = GrpcChannel.ForAddress(address);
        _client = new CoreV1.Admin.AdminClient(_channel);
    }

    /// <summary>The simulator an in-process gateway started for itself.</summary>
    public static async Task<CoreAdmin> ForAsync(GatewayHost host)
        => new(await host.Services.GetRequiredService<EmbeddedCoreSimulator>().Address);

    internal CoreV1.Admin.AdminClient Client => _client;

    public async Task<int> ManifestCallsAsync(string routeId)
        => (await _client.GetCountersAsync(new Empty())).ManifestCalls.GetValueOrDefault(routeId);

    public async Task<long> PublishAsync(string routeId)
        => (await _client.PublishManifestAsync(new CoreV1.PublishManifestRequest { RouteId = routeId })).Manifest.Version;

    public Task DownAsync(TimeSpan duration)
        => _client.SetFaultsAsync(new CoreV1.SetFaultsRequest { Faults = new CoreV1.Faults(), DownFor = Duration.FromTimeSpan(duration) }).ResponseAsync;

    public Task ClearFaultsAsync() => _client.SetFaultsAsync(new CoreV1.SetFaultsRequest()).ResponseAsync;

    public void Dispose() => _channel.Dispose();
}

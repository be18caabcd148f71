using Edge.Gateway.Blobs;
using Edge.Gateway.Imaging;
using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Infrastructure;
using Edge.Gateway.Uploads;
using Edge.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Edge.Gateway.Tests.Infrastructure.TestUploader;
namespace Edge.Gateway.Tests.Uploads;

/// <summary>
/// Hosts for the upload tests, one per state mode. These tests are about transport and state, so photos pass through
/// the pipeline unchanged: the stored bytes must equal the sent bytes exactly.
/// </summary>
public abstract class UploadTestBase : IAsyncLifetime
{
    private readonly List<GatewayHost> _hosts = [];

    protected abstract string? Redis { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    protected async Task<GatewayHost> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var host = await GatewayHost.StartAsync(redis: Redis, settings: settings, services: s =>
        {
            s.AddSingleton<IPhotoPipeline, PassthroughPhotoPipeline>();
            services?.Invoke(s);
        });
        _hosts.Add(host);
        return host;
    }

    protected static V1.Uploads.UploadsClient Client(GatewayHost host, string device = "device-1") => new(host.Channel(device));

    protected static byte[] StoredBytes(GatewayHost host, string sha256)
        => File.ReadAllBytes(host.Services.GetRequiredService<BlobStore>().PathFor(sha256));
}

using Edge.Gateway.Blobs;
using Edge.Gateway.Imaging;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Gateway.Tests.Uploads;

/// <summary>
/// Hosts for the upload tests, one per state mode. These tests are about transport and state, so photos pass through
/// the pipeline unchanged: the stored bytes must equal the sent bytes exactly.
/// </summary>
public abstract class UploadTestBase : HostedGatewayTests
{
    protected abstract string? Redis { get; }

    protected Task<GatewayHost> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
        => StartHostAsync(Redis, settings, s =>
        {
            s.AddSingleton<IPhotoPipeline, PassthroughPhotoPipeline>();
            services?.Invoke(s);
        });

    protected static V1.Uploads.UploadsClient Client(GatewayHost host, string device = "device-1") => new(host.Channel(device));

    protected static byte[] StoredBytes(GatewayHost host, string sha256)
        => File.ReadAllBytes(host.Services.GetRequiredService<BlobStore>().PathFor(sha256));
}

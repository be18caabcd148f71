using Core.V1;
using Edge.CoreSim.Blobs;
using Edge.CoreSim.Manifests;
using Edge.CoreSim.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Edge.CoreSim.Hosting;

/// <summary>
/// Opens the stores when the host starts, so a bad data directory fails the start rather than the first call,
/// and the first call does not pay for loading the logs.
/// </summary>
internal sealed class CoreStorageStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<BlobStore>();
        services.GetRequiredService<DeliveryLedger<DeliverProofRequest, DeliverProofResponse>>();
        services.GetRequiredService<DeliveryLedger<ScanEvent, ScanResult>>();
        services.GetRequiredService<ManifestCatalog>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Edge.CoreSim.Admin;
using Edge.CoreSim.Blobs;
using Edge.CoreSim.Hosting;
using Edge.CoreSim.Manifests;
using Edge.CoreSim.Proofs;
using Edge.CoreSim.Scans;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the simulated core's gRPC services.</summary>
public static class CoreSimulatorEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>core.v1.Blobs</c>, <c>Proofs</c>, <c>Scans</c>, <c>Manifests</c> and <c>Admin</c>. Requires
    /// <c>AddCoreSimulator()</c>.
    /// </summary>
    /// <param name="endpoints">The host's endpoints.</param>
    /// <returns>A builder that applies conventions (authorization, host filters, ...) to all five services.</returns>
    public static IEndpointConventionBuilder MapCoreSimulator(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return new CompositeEndpointConventionBuilder(
        [
            endpoints.MapGrpcService<BlobsService>(),
            endpoints.MapGrpcService<ProofsService>(),
            endpoints.MapGrpcService<ScansService>(),
            endpoints.MapGrpcService<ManifestsService>(),
            endpoints.MapGrpcService<AdminService>(),
        ]);
    }
}

using Core.V1;
using Edge.CoreSim;
using Edge.CoreSim.Admin;
using Edge.CoreSim.Blobs;
using Edge.CoreSim.FaultInjection;
using Edge.CoreSim.Hosting;
using Edge.CoreSim.Manifests;
using Edge.CoreSim.Proofs;
using Edge.CoreSim.Scans;
using Edge.CoreSim.Security;
using Edge.CoreSim.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the simulated core (<c>core.v1</c>) in a host.</summary>
public static class CoreSimulatorServiceCollectionExtensions
{
    /// <summary>
    /// Adds the simulated core's gRPC services and their stores. Options are bound from the <c>CoreSim</c>
    /// configuration section, then <paramref name="configure"/> runs; they are validated when the host starts.
    /// Map the services with <c>MapCoreSimulator()</c>. Health checks and reflection are left to the host.
    /// Calling it again adds nothing twice, but each call's <paramref name="configure"/> applies.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Changes to the options after binding; may be null.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddCoreSimulator(this IServiceCollection services, Action<CoreSimulatorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var options = services.AddOptions<CoreSimulatorOptions>();
        if (!services.Any(d => d.ServiceType == typeof(CoreSimulatorMarker)))
        {
            services.AddSingleton<CoreSimulatorMarker>();
            options.BindConfiguration(CoreSimulatorOptions.SectionName).ValidateOnStart();
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoreSimulatorOptions>, CoreSimulatorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // The caller's token, then faults, on the core services only: a host's own services never see them.
        services.AddGrpc()
            .AddServiceOptions<BlobsService>(CoreInterceptors)
            .AddServiceOptions<ProofsService>(CoreInterceptors)
            .AddServiceOptions<ScansService>(CoreInterceptors)
            .AddServiceOptions<ManifestsService>(CoreInterceptors);

        services.TryAddSingleton<CoreDataDirectory>();
        services.TryAddSingleton<CoreCounters>();
        services.TryAddSingleton<FaultState>();
        services.TryAddSingleton<FaultInterceptor>();
        services.TryAddSingleton<AccessTokenInterceptor>();
        services.TryAddSingleton(sp => new BlobStore(sp.GetRequiredService<CoreDataDirectory>().File("blobs")));
        services.TryAddSingleton(sp => new DeliveryLedger<DeliverProofRequest, DeliverProofResponse>(
            sp.GetRequiredService<CoreDataDirectory>().File("proofs.log"),
            proof => proof.ProofId,
            sp.GetRequiredService<ILogger<ProofsService>>()));
        services.TryAddSingleton(sp => new DeliveryLedger<ScanEvent, ScanResult>(
            sp.GetRequiredService<CoreDataDirectory>().File("scans.log"),
            scan => scan.EventId,
            sp.GetRequiredService<ILogger<ScansService>>()));
        services.TryAddSingleton<ManifestVersionFeed>();
        services.TryAddSingleton<ManifestCatalog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CoreStorageStartup>());
        return services;
    }

    private static void CoreInterceptors<TService>(Grpc.AspNetCore.Server.GrpcServiceOptions<TService> options)
        where TService : class
    {
        options.Interceptors.Add<AccessTokenInterceptor>();
        options.Interceptors.Add<FaultInterceptor>();
    }

    /// <summary>Marks that the options binding was registered, so a second call does not bind twice.</summary>
    private sealed class CoreSimulatorMarker;
}

using Edge.Gateway.Proofs;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Manifests;

internal static class ManifestsServiceCollectionExtensions
{
    /// <summary>
    /// Route manifests: HybridCache (memory, plus Redis as its second tier in Redis mode), the core's version stream,
    /// and the proof rules taken from manifests. The last known good store, the version bus and the cache's second tier
    /// come with the state mode.
    /// </summary>
    public static IServiceCollection AddEdgeManifests(this IServiceCollection services)
    {
        services.AddOptions<ManifestOptions>().BindConfiguration(ManifestOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHybridCache().AddSerializer<ManifestEntry, ManifestEntrySerializer>();
        services.TryAddSingleton<ManifestVersions>();
        services.TryAddSingleton<ManifestFetcher>();
        services.TryAddSingleton<ManifestCache>();
        services.AddHostedService<CoreManifestWatcher>();

        // gzip (the encoding every gRPC client offers) is the gateway's one message encoding; manifest answers use it
        // whenever the device accepts it, from bytes compressed once per version. Other services answer uncompressed.
        // gRPC's own defaults (its plain gzip) are in the list by the time this runs; this provider takes gzip's place.
        services.AddGrpc(grpc =>
            {
                var providers = grpc.CompressionProviders;
                for (var i = providers.Count - 1; i >= 0; i--)
                {
                    if (string.Equals(providers[i].EncodingName, "gzip", StringComparison.Ordinal))
                    {
                        providers.RemoveAt(i);
                    }
                }

                providers.Insert(0, new ManifestGzipProvider());
            })
            .AddServiceOptions<ManifestsService>(manifests => manifests.ResponseCompressionAlgorithm = "gzip");

        // The only proof rules: they include the token's route check and add the manifest's.
        services.TryAddSingleton<IProofRules, ManifestProofRules>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Blobs;

internal static class BlobsServiceCollectionExtensions
{
    /// <summary>The content-addressed store, its options and the sweeper that lets photos go (the index is the state mode's).</summary>
    public static IServiceCollection AddEdgeBlobs(this IServiceCollection services)
    {
        services.AddOptions<BlobOptions>().BindConfiguration(BlobOptions.SectionName).ValidateOnStart();
        services.TryAddSingleton<BlobStore>();
        services.AddHostedService<BlobSweeper>();
        return services;
    }
}

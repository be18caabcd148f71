using Edge.Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Proofs.Reuse;

internal static class PhotoReuseServiceCollectionExtensions
{
    /// <summary>The photo reuse check, its options, its index in the configured state mode and the expiry sweeper.</summary>
    public static IServiceCollection AddEdgePhotoReuse(this IServiceCollection services, EdgeOptions edge)
    {
        services.AddOptions<PhotoReuseOptions>().BindConfiguration(PhotoReuseOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.Window > TimeSpan.Zero && o.SweepInterval > TimeSpan.Zero, "Window and SweepInterval must be positive.")
            .Validate(o => o.MaxDistance / o.IndexBands <= 2, "MaxDistance / IndexBands must be at most 2 (use more bands).")
            .ValidateOnStart();
        // The index itself is the state mode's (AddSqliteState / AddRedisState).
        services.TryAddSingleton<StopPlaces>();
        services.TryAddSingleton<PhotoReuseCheck>();
        return services;
    }
}

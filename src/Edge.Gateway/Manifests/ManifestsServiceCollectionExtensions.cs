using Edge.Gateway.Hosting;
using Edge.Gateway.Proofs;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Manifests;

internal static class ManifestsServiceCollectionExtensions
{
    /// <summary>
    /// Route manifests: HybridCache (memory, plus Redis through the gateway's own connection in Redis mode), the last
    /// known good store, the core's version stream, and the proof rules taken from manifests.
    /// </summary>
    public static IServiceCollection AddEdgeManifests(this IServiceCollection services, EdgeOptions edge)
    {
        services.AddOptions<ManifestOptions>().BindConfiguration(ManifestOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHybridCache().AddSerializer<ManifestEntry, ManifestEntrySerializer>();
        if (edge.UsesRedis)
        {
            services.AddStackExchangeRedisCache(_ => { });
            services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider, IOptions<EdgeOptions>>((redis, provider, options) =>
            {
                redis.ConnectionMultiplexerFactory = () => Task.FromResult(provider.GetRequiredService<IConnectionMultiplexer>());
                redis.InstanceName = options.Value.RedisKeyPrefix + "cache:";
            });
            services.TryAddSingleton<IManifestStore, RedisManifestStore>();
            services.TryAddSingleton<IManifestVersionBus, RedisManifestVersionBus>();
        }
        else
        {
            services.TryAddSingleton<IManifestStore, SqliteManifestStore>();
            services.TryAddSingleton<IManifestVersionBus, LocalManifestVersionBus>();
        }

        services.TryAddSingleton<ManifestVersions>();
        services.TryAddSingleton<ManifestFetcher>();
        services.TryAddSingleton<ManifestCache>();
        services.AddHostedService<CoreManifestWatcher>();

        // A plain Add: the manifest rules replace any default registered with TryAdd.
        services.AddSingleton<IProofRules, ManifestProofRules>();
        return services;
    }
}

using Edge.Gateway.Hosting;
using Edge.Gateway.Proofs;
using Grpc.AspNetCore.Server;
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

        // A plain Add: the manifest rules replace any default registered with TryAdd.
        services.AddSingleton<IProofRules, ManifestProofRules>();
        return services;
    }
}

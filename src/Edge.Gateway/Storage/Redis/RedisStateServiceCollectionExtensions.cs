using Edge.Gateway.Blobs;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Manifests;
using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

internal static class RedisStateServiceCollectionExtensions
{
    /// <summary>
    /// Redis mode: what replicas share lives in Redis through one connection (<see cref="EdgeOptions.Redis"/>) under
    /// one key prefix, each service registered once: upload sessions, the blob index, scans, the outbox streams,
    /// proofs, photo retention, dead letters, receipts and manifest versions over pub/sub, the last known good
    /// manifests and the manifest cache's second tier.
    /// </summary>
    public static IServiceCollection AddRedisState(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionMultiplexer>(sp => ConnectionMultiplexer.Connect(sp.GetRequiredService<IOptions<EdgeOptions>>().Value.Redis!));
        services.TryAddSingleton<RedisKeys>();
        services.TryAddSingleton<IStateProbe, RedisStateProbe>();
        services.AddHostedService<RedisDurabilityCheck>();
        services.TryAddSingleton<IReplicaIdentity, RedisReplicaLease>();

        services.TryAddSingleton<IUploadSessionStore, RedisUploadSessionStore>();
        services.TryAddSingleton<IBlobIndex, RedisBlobIndex>();
        services.TryAddSingleton<Proofs.Reuse.IPhotoPrintIndex, Proofs.Reuse.RedisPhotoPrintIndex>();
        services.TryAddSingleton<IScanStore, RedisScanStore>();
        services.TryAddSingleton<IOutbox, RedisOutbox>();
        services.TryAddSingleton<RedisProofStore>();
        services.TryAddSingleton<IProofStore>(sp => sp.GetRequiredService<RedisProofStore>());
        services.TryAddSingleton<IDeadLetters, RedisDeadLetters>();
        services.TryAddSingleton<Security.IRevocationStore, RedisRevocationStore>();

        services.TryAddSingleton<LocalReceiptWatchers>();
        services.TryAddSingleton<IReceiptFeed, RedisReceiptFeed>();
        services.TryAddSingleton<IManifestStore, RedisManifestStore>();
        services.TryAddSingleton<IManifestVersionBus, RedisManifestVersionBus>();

        // HybridCache's second tier, on the gateway's own connection and key prefix.
        services.AddStackExchangeRedisCache(_ => { });
        services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider, IOptions<EdgeOptions>>((redis, provider, options) =>
        {
            redis.ConnectionMultiplexerFactory = () => Task.FromResult(provider.GetRequiredService<IConnectionMultiplexer>());
            redis.InstanceName = options.Value.RedisKeyPrefix + "cache:";
        });
        return services;
    }
}

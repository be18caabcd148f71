using Edge.Gateway.Diagnostics;
using Edge.Gateway.Hosting;
using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using StackExchange.Redis;

namespace Edge.Gateway.Forwarding;

internal static class ForwardingServiceCollectionExtensions
{
    /// <summary>Scans, proofs and the forwarder: their options, state in the configured mode, and background work.</summary>
    public static IServiceCollection AddEdgeForwarding(this IServiceCollection services, EdgeOptions edge)
    {
        services.AddEdgeForwardingState(edge);
        services.AddOptions<IntakeOptions>().BindConfiguration(IntakeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<IProofRules, RouteTokenProofRules>();
        services.TryAddSingleton<CoreDelivery>();
        services.AddResiliencePipeline(Forwarder.PipelineName, (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<ForwardingOptions>>().Value;
            var metrics = context.ServiceProvider.GetRequiredService<EdgeMetrics>();
            var logger = context.ServiceProvider.GetRequiredService<ILogger<Forwarder>>();
            var transient = new PredicateBuilder().Handle<RpcException>(CoreDelivery.IsTransient);
            if (options.RetryAttempts > 0)
            {
                pipeline.AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = transient,
                    MaxRetryAttempts = options.RetryAttempts,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.RetryBaseDelay,
                    MaxDelay = options.MaxRetryDelay,
                    OnRetry = _ =>
                    {
                        metrics.ForwardRetried();
                        return ValueTask.CompletedTask;
                    },
                });
            }

            pipeline.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = options.BreakDuration,
                OnOpened = args =>
                {
                    metrics.SetBreakerState(2);
                    ForwardingLog.BreakerOpened(logger, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    metrics.SetBreakerState(1);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    metrics.SetBreakerState(0);
                    ForwardingLog.BreakerClosed(logger);
                    return ValueTask.CompletedTask;
                },
            });
        });
        services.AddHostedService<Forwarder>();
        services.AddHostedService<ForwardingSweeper>();
        return services;
    }

    /// <summary>The stores behind scans, proofs, the outbox and dead letters (also used by the operator commands).</summary>
    public static IServiceCollection AddEdgeForwardingState(this IServiceCollection services, EdgeOptions edge)
    {
        services.AddOptions<ForwardingOptions>().BindConfiguration(ForwardingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LocalReceiptWatchers>();
        if (edge.UsesRedis)
        {
            services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(edge.Redis!));
            services.TryAddSingleton<RedisKeys>();
            services.TryAddSingleton<IScanStore, RedisScanStore>();
            services.TryAddSingleton<IOutbox, RedisOutbox>();
            services.TryAddSingleton<RedisProofStore>();
            services.TryAddSingleton<IProofStore>(sp => sp.GetRequiredService<RedisProofStore>());
            services.TryAddSingleton<IDeadLetters, RedisDeadLetters>();
            services.TryAddSingleton<IReceiptFeed, RedisReceiptFeed>();
        }
        else
        {
            services.TryAddSingleton<SqliteDatabase>();
            services.TryAddSingleton<IScanStore, SqliteScanStore>();
            services.TryAddSingleton<SqliteOutbox>();
            services.TryAddSingleton<IOutbox>(sp => sp.GetRequiredService<SqliteOutbox>());
            services.TryAddSingleton<SqliteProofStore>();
            services.TryAddSingleton<IProofStore>(sp => sp.GetRequiredService<SqliteProofStore>());
            services.TryAddSingleton<IDeadLetters, SqliteDeadLetters>();
            services.TryAddSingleton<IReceiptFeed, InProcessReceiptFeed>();
        }

        return services;
    }
}

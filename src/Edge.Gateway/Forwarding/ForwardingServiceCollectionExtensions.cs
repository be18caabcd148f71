using Edge.Gateway.Diagnostics;
using Edge.Gateway.Scans;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Edge.Gateway.Forwarding;

internal static class ForwardingServiceCollectionExtensions
{
    /// <summary>Scans, proofs and the forwarder: their options and background work (their state comes with the mode).</summary>
    public static IServiceCollection AddEdgeForwarding(this IServiceCollection services)
    {
        services.AddOptions<ForwardingOptions>().BindConfiguration(ForwardingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IntakeOptions>().BindConfiguration(IntakeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<OutboxSignal>();
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
}

using System.Collections.Concurrent;
using Edge.Gateway.Core;
using Edge.Gateway.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// One resilience pipeline (retries with exponential backoff and jitter, then a circuit breaker) per core endpoint and
/// lane, so failing proof deliveries never hold up scans and the reverse. A breaker that opens tries the core again
/// after <see cref="ForwardingOptions.BreakDuration"/> (one half-open trial call) and wakes its lane's forwarders the
/// moment it closes, so what they parked while the core failed goes at once.
/// </summary>
internal sealed class CoreBreakers(CoreConnection core, IOptions<ForwardingOptions> options, EdgeMetrics metrics, TimeProvider timeProvider, ILogger<CoreBreakers> logger)
{
    private readonly ConcurrentDictionary<(string Endpoint, OutboxLane Lane), LaneBreaker> _breakers = new();

    /// <summary>The breaker of a lane towards the configured core endpoint.</summary>
    public LaneBreaker For(OutboxLane lane) => _breakers.GetOrAdd((core.Endpoint, lane), key => Create(key.Endpoint, key.Lane));

    private LaneBreaker Create(string endpoint, OutboxLane lane)
    {
        var settings = options.Value;
        var breaker = new LaneBreaker(endpoint, lane, timeProvider);
        var transient = new PredicateBuilder().Handle<RpcException>(CoreDelivery.IsTransient);
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider, Name = $"edge-core:{lane}" };
        if (settings.RetryAttempts > 0)
        {
            pipeline.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = settings.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
                MaxDelay = settings.MaxRetryDelay,
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
            BreakDuration = settings.BreakDuration,
            OnOpened = args =>
            {
                breaker.Opened(args.BreakDuration);
                metrics.SetBreakerState(endpoint, lane, 2);
                ForwardingLog.BreakerOpened(logger, lane, endpoint, args.BreakDuration);
                return ValueTask.CompletedTask;
            },
            OnHalfOpened = _ =>
            {
                metrics.SetBreakerState(endpoint, lane, 1);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                metrics.SetBreakerState(endpoint, lane, 0);
                ForwardingLog.BreakerClosed(logger, lane, endpoint);
                breaker.Closed();
                return ValueTask.CompletedTask;
            },
        });
        metrics.SetBreakerState(endpoint, lane, 0);
        breaker.Pipeline = pipeline.Build();
        return breaker;
    }
}

/// <summary>The circuit breaker (and retries) of one lane towards one core endpoint, and what its forwarders wait on.</summary>
internal sealed class LaneBreaker(string endpoint, OutboxLane lane, TimeProvider timeProvider)
{
    private TaskCompletionSource _nextClose = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _openUntilTicks;
    private int _closures;

    public string Endpoint { get; } = endpoint;

    public OutboxLane Lane { get; } = lane;

    /// <summary>Retries, then the breaker; every delivery of this lane goes through it.</summary>
    public ResiliencePipeline Pipeline { get; set; } = ResiliencePipeline.Empty;

    /// <summary>How many times the breaker closed again after it had opened (the core answered a trial call).</summary>
    public int Closures => Volatile.Read(ref _closures);

    /// <summary>Completes the next time the breaker closes.</summary>
    public Task NextClose => Volatile.Read(ref _nextClose).Task;

    /// <summary>When the open breaker lets a trial call through; null when it is not open.</summary>
    public DateTimeOffset? OpenUntil
    {
        get
        {
            var ticks = Volatile.Read(ref _openUntilTicks);
            return ticks > timeProvider.GetUtcNow().UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        }
    }

    internal void Opened(TimeSpan breakDuration) => Volatile.Write(ref _openUntilTicks, (timeProvider.GetUtcNow() + breakDuration).UtcTicks);

    internal void Closed()
    {
        Volatile.Write(ref _openUntilTicks, 0);
        Interlocked.Increment(ref _closures);
        Interlocked.Exchange(ref _nextClose, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}

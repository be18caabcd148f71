using Edge.Gateway.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// Drains the outbox to the core: a few forwarders per lane, each taking a batch, delivering it through the core
/// resilience pipeline (retries with exponential backoff and jitter, then a circuit breaker shared by all lanes), and
/// completing only what the core answered for good. What the core did not take stays in the outbox, held and renewed
/// by its forwarder, and is tried again after a growing, jittered pause; nothing is ever dropped by age.
/// </summary>
internal sealed class Forwarder(
    IOutbox outbox,
    CoreDelivery delivery,
    OutboxSignal signal,
    ResiliencePipelineProvider<string> pipelines,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<ForwardingOptions> options,
    ILogger<Forwarder> logger) : BackgroundService
{
    /// <summary>Name of the resilience pipeline for calls to the core.</summary>
    public const string PipelineName = "edge-core";

    private readonly ForwardingOptions _options = options.Value;
    private readonly string _consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await outbox.ReleaseStaleLeasesAsync(stoppingToken);
        var pipeline = pipelines.GetPipeline(PipelineName);
        var workers = new List<Task> { Task.Run(() => MeasureBacklogAsync(stoppingToken), stoppingToken) };
        for (var i = 0; i < _options.ScanWorkers; i++)
        {
            var consumer = $"{_consumer}-s{i}";
            workers.Add(Task.Run(() => RunAsync(OutboxLane.Scans, consumer, _options.ScanBatchSize, pipeline, stoppingToken), stoppingToken));
        }

        for (var i = 0; i < _options.ProofWorkers; i++)
        {
            var consumer = $"{_consumer}-p{i}";
            workers.Add(Task.Run(() => RunAsync(OutboxLane.Proofs, consumer, _options.ProofBatchSize, pipeline, stoppingToken), stoppingToken));
        }

        await Task.WhenAll(workers);
    }

    private async Task RunAsync(OutboxLane lane, string consumer, int batchSize, ResiliencePipeline pipeline, CancellationToken stoppingToken)
    {
        var held = new List<OutboxEntry>();
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (held.Count == 0)
                {
                    held.AddRange(await outbox.TakeAsync(lane, consumer, batchSize, stoppingToken));
                    if (held.Count == 0)
                    {
                        await signal.WaitAsync(lane, _options.PollInterval, stoppingToken);
                        continue;
                    }
                }

                var (settled, failure) = lane == OutboxLane.Scans
                    ? await DeliverScansAsync(held, pipeline, stoppingToken)
                    : await DeliverProofsAsync(held, pipeline, stoppingToken);
                if (settled.Count > 0)
                {
                    await outbox.CompleteAsync(lane, settled, stoppingToken);
                    held.RemoveAll(settled.Contains);
                }

                if (held.Count == 0)
                {
                    failures = 0;
                    continue;
                }

                var delay = Backoff(++failures, failure);
                ForwardingLog.WillRetry(logger, held.Count, lane, failure?.Message ?? "unknown", delay);
                await outbox.RenewAsync(lane, consumer, held, stoppingToken);
                await Task.Delay(delay, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The state store failed (Redis unreachable, disk full): keep what is held, try again later.
                var delay = Backoff(++failures, null);
                ForwardingLog.ForwarderFailed(logger, lane, delay, e);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<(List<OutboxEntry> Settled, Exception? Failure)> DeliverScansAsync(List<OutboxEntry> held, ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.ExecuteAsync(async ct => await delivery.DeliverScansAsync(held, ct), cancellationToken);
            return ([.. held], null);
        }
        catch (Exception e) when (IsRetryable(e))
        {
            return ([], e);
        }
    }

    private async Task<(List<OutboxEntry> Settled, Exception? Failure)> DeliverProofsAsync(List<OutboxEntry> held, ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        var attempts = held.Select(async entry =>
        {
            try
            {
                await pipeline.ExecuteAsync(async ct => await delivery.DeliverProofAsync(entry, ct), cancellationToken);
                return (Entry: entry, Failure: (Exception?)null);
            }
            catch (Exception e) when (IsRetryable(e))
            {
                return (Entry: entry, Failure: e);
            }
        }).ToList();
        var results = await Task.WhenAll(attempts);
        return (results.Where(r => r.Failure is null).Select(r => r.Entry).ToList(), results.Select(r => r.Failure).FirstOrDefault(f => f is not null));
    }

    private static bool IsRetryable(Exception e) => e is BrokenCircuitException or IsolatedCircuitException || (e is RpcException rpc && CoreDelivery.IsTransient(rpc));

    /// <summary>Exponential in the failures so far, with full jitter, at least the breaker's remaining break, capped.</summary>
    private TimeSpan Backoff(int failures, Exception? failure)
    {
        var cap = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks, _options.ClaimTimeout.Ticks / 2));
        var exponential = TimeSpan.FromTicks((long)Math.Min(cap.Ticks, _options.RetryBaseDelay.Ticks * Math.Pow(2, Math.Min(failures, 30))));
        var jittered = TimeSpan.FromTicks((long)(exponential.Ticks * (0.5 + (Random.Shared.NextDouble() * 0.5))));
        if (failure is BrokenCircuitException { RetryAfter: { } retryAfter } && retryAfter > jittered)
        {
            jittered = TimeSpan.FromTicks(Math.Min(cap.Ticks, retryAfter.Ticks));
        }

        return jittered;
    }

    private async Task MeasureBacklogAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var lane in new[] { OutboxLane.Scans, OutboxLane.Proofs })
                {
                    var backlog = await outbox.GetBacklogAsync(lane, stoppingToken);
                    var age = backlog.OldestEnqueuedAt is { } oldest ? timeProvider.GetUtcNow() - oldest : TimeSpan.Zero;
                    metrics.SetOutboxBacklog(lane, backlog.Depth, age);
                }

                await Task.Delay(_options.BacklogMeasureInterval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                ForwardingLog.ForwarderFailed(logger, OutboxLane.Scans, _options.BacklogMeasureInterval, e);
                try
                {
                    await Task.Delay(_options.BacklogMeasureInterval, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

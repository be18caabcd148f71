using Edge.Gateway.Diagnostics;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// Drains the outbox to the core: a few <see cref="LaneForwarder"/>s per lane, each holding a bounded set of entries
/// and delivering them through its lane's own retries and circuit breaker (<see cref="CoreBreakers"/>), completing only
/// what the core answered for good. Consumers are named after this replica's identity (<see cref="IReplicaIdentity"/>),
/// so a restarted replica finds what its previous process held at once instead of after the claim timeout; nothing is
/// ever dropped by age.
/// </summary>
internal sealed class Forwarder(
    IOutbox outbox,
    IReplicaIdentity identity,
    CoreDelivery delivery,
    OutboxSignal signal,
    CoreBreakers breakers,
    OutboxBacklogGauge backlog,
    TimeProvider timeProvider,
    IOptions<ForwardingOptions> options,
    ILogger<Forwarder> logger) : BackgroundService
{
    private readonly ForwardingOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        backlog.Start();
        string replica;
        try
        {
            replica = await identity.AcquireAsync(stoppingToken);
            ForwardingLog.ReplicaLeaseAcquired(logger, replica);
            var released = await outbox.ReleaseStaleLeasesAsync(replica, stoppingToken);
            if (released > 0)
            {
                ForwardingLog.OwnEntriesReleased(logger, released);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped while starting (the state store's connection may already be closed).
            return;
        }
        var workers = new List<Task>();
        for (var i = 0; i < _options.ScanWorkers; i++)
        {
            workers.Add(Start(OutboxLane.Scans, IReplicaIdentity.Consumer(replica, OutboxLane.Scans, i), _options.ScanBatchSize, _options.MaxHeldScans, stoppingToken));
        }

        for (var i = 0; i < _options.ProofWorkers; i++)
        {
            workers.Add(Start(OutboxLane.Proofs, IReplicaIdentity.Consumer(replica, OutboxLane.Proofs, i), _options.ProofBatchSize, _options.MaxHeldProofs, stoppingToken));
        }

        await Task.WhenAll(workers);
    }

    private Task Start(OutboxLane lane, string consumer, int batchSize, int maxHeld, CancellationToken stoppingToken)
    {
        var forwarder = new LaneForwarder(lane, consumer, batchSize, Math.Max(batchSize, maxHeld), outbox, delivery, signal,
            breakers.For(lane), _options, timeProvider, logger);
        return Task.Run(() => forwarder.RunAsync(stoppingToken), stoppingToken);
    }
}

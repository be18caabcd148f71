using Edge.Client.Connection;
using Edge.Client.Outbox;
using Edge.V1;

namespace Edge.Client.Scans;

/// <summary>
/// Drains queued scans to <c>edge.v1.Scans/RecordScans</c> in batches: a fresh scan waits a short linger for company,
/// a failed batch is retried with backoff until the gateway answers. A scan leaves the outbox only when the gateway
/// answered it accepted or duplicate (or, refused for good, it moves aside).
/// </summary>
internal sealed class ScanDispatcher(GatewayConnection connection, OutboxStore outbox, EdgeClientOptions options,
    Action<RejectedScan> rejected, Action changed)
{
    private readonly AsyncSignal _queued = new();

    public void Queued() => _queued.Set();

    public async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        while (!stopping.IsCancellationRequested)
        {
            var wake = _queued.WaitAsync();
            var batch = outbox.PendingScans(options.ScanBatchSize);
            if (batch.Count == 0)
            {
                await wake.WaitAsync(stopping).ConfigureAwait(false);
                continue;
            }

            if (batch.Count < options.ScanBatchSize)
            {
                await Task.Delay(options.ScanLinger, options.TimeProvider, stopping).ConfigureAwait(false);
                batch = outbox.PendingScans(options.ScanBatchSize);
            }

            try
            {
                await SendAsync(batch, stopping).ConfigureAwait(false);
                backoff.Reset();
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // Whatever went wrong, the scans stay queued: nothing is dropped for want of a link or a working gateway.
                await connection.DelayAsync(backoff.Next(e), stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task SendAsync(IReadOnlyList<QueuedScan> batch, CancellationToken stopping)
    {
        var client = new V1.Scans.ScansClient(connection.Channel);
        var request = new RecordScansRequest { Events = { batch.Select(s => s.Event) } };
        var response = await client.RecordScansAsync(request, deadline: DateTime.UtcNow + options.AttemptTimeout, cancellationToken: stopping)
            .ConfigureAwait(false);
        var results = response.Results.ToDictionary(r => r.EventId, StringComparer.Ordinal);
        foreach (var scan in batch)
        {
            if (!results.TryGetValue(scan.Event.EventId, out var result))
            {
                continue;
            }

            switch (result.Outcome)
            {
                case ScanResult.Types.Outcome.Accepted or ScanResult.Types.Outcome.Duplicate:
                    OutboxStore.RemoveScan(scan);
                    break;
                case ScanResult.Types.Outcome.Rejected:
                    outbox.RejectScan(scan);
                    rejected(new RejectedScan(scan.Event.EventId, scan.Event.Barcode, result.Reason));
                    break;
            }
        }

        changed();
    }
}

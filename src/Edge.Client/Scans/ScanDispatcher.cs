using Edge.Client.Connection;
using Edge.Client.Outbox;
using Edge.V1;
using Grpc.Core;

namespace Edge.Client.Scans;

/// <summary>
/// Drains queued scans to <c>edge.v1.Scans/RecordScans</c> in batches: a fresh scan waits a short linger for company,
/// a batch the link or the gateway failed is retried with backoff until the gateway answers. A scan leaves the outbox
/// only when the gateway answered it accepted or duplicate, or, refused for good, it moves aside.
/// </summary>
/// <remarks>
/// Two answers are about the batch, not its scans, and must not set good scans aside: every event rejected as
/// "batch too large" (the gateway takes fewer per call than this client sends: smaller batches from then on), and a
/// whole call refused as malformed (INVALID_ARGUMENT and kin, which no retry fixes: the batch is halved until the one
/// scan the gateway cannot take is alone, and that one moves aside).
/// </remarks>
internal sealed class ScanDispatcher(GatewayConnection connection, OutboxStore outbox, EdgeClientOptions options,
    Action<RejectedScan> rejected, Action changed)
{
    private const string BatchTooLarge = "batch too large";

    private readonly AsyncSignal _queued = new();

    // The most scans the gateway has shown it takes in one call.
    private int _maxBatch = options.ScanBatchSize;

    // While a refused batch is being narrowed down: the size of the next attempt.
    private int? _narrowed;

    public void Queued() => _queued.Set();

    public async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        while (!stopping.IsCancellationRequested)
        {
            var wake = _queued.WaitAsync();
            try
            {
                var size = _narrowed ?? _maxBatch;
                var batch = outbox.PendingScans(size);
                if (batch.Count == 0)
                {
                    await wake.WaitAsync(stopping).ConfigureAwait(false);
                    continue;
                }

                if (batch.Count < size && _narrowed is null)
                {
                    await Task.Delay(options.ScanLinger, options.TimeProvider, stopping).ConfigureAwait(false);
                    batch = outbox.PendingScans(size);
                }

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
        RecordScansResponse response;
        try
        {
            response = await client.RecordScansAsync(request, deadline: DateTime.UtcNow + options.AttemptTimeout, cancellationToken: stopping)
                .ConfigureAwait(false);
        }
        catch (RpcException e) when (IsRefusal(e))
        {
            if (batch.Count > 1)
            {
                _narrowed = batch.Count / 2;
                return;
            }

            SetAside(batch[0], $"{e.StatusCode}: {e.Status.Detail}");
            _narrowed = null;
            changed();
            return;
        }

        _narrowed = null;
        if (batch.Count > 1 && response.Results.Count == batch.Count
            && response.Results.All(r => r.Outcome == ScanResult.Types.Outcome.Rejected && r.Reason.StartsWith(BatchTooLarge, StringComparison.Ordinal)))
        {
            _maxBatch = Math.Max(1, batch.Count / 2);
            return;
        }

        // Results come in request order; an event without a result stays queued and goes again.
        IReadOnlyList<ScanResult?> results = response.Results.Count == batch.Count
            && response.Results.Select(r => r.EventId).SequenceEqual(batch.Select(s => s.Event.EventId), StringComparer.Ordinal)
            ? response.Results
            : batch.Select(s => response.Results.FirstOrDefault(r => r.EventId == s.Event.EventId)).ToList();
        for (var i = 0; i < batch.Count; i++)
        {
            switch (results[i]?.Outcome)
            {
                case ScanResult.Types.Outcome.Accepted or ScanResult.Types.Outcome.Duplicate:
                    OutboxStore.RemoveScan(batch[i]);
                    break;
                case ScanResult.Types.Outcome.Rejected:
                    SetAside(batch[i], results[i]!.Reason);
                    break;
            }
        }

        changed();
    }

    private void SetAside(QueuedScan scan, string reason)
    {
        outbox.RejectScan(scan);
        rejected(new RejectedScan(scan.Event.EventId, scan.Event.Barcode, reason));
    }

    /// <summary>The gateway refused the call as it is: the same request can never succeed.</summary>
    private static bool IsRefusal(RpcException e)
        => e.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange;
}

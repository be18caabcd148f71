using System.Collections.Concurrent;
using Edge.Client.Connection;
using Edge.Client.Outbox;
using Edge.Client.Uploads;
using Edge.V1;
using Grpc.Core;
using V1 = Edge.V1;

namespace Edge.Client.Proofs;

/// <summary>
/// Drains queued proofs: uploads the photos the gateway lacks, then submits the proof (idempotent by proof_id), then
/// follows it through <c>WatchReceipts</c> (and <c>GetProofStatus</c>, for receipts missed while the stream was down)
/// until the core commits or rejects it. Only then does the proof leave the outbox.
/// </summary>
internal sealed class ProofDispatcher(GatewayConnection connection, OutboxStore outbox, PhotoUploader uploader, EdgeClientOptions options,
    Action<Client.ProofReceipt> report, Action changed)
{
    private readonly AsyncSignal _queued = new();
    private readonly AsyncSignal _received = new();

    // The last status seen of each proof in the outbox. A proof missing here has not been answered since this client
    // started: it is submitted (again; the gateway answers a repeat with the current status).
    private readonly ConcurrentDictionary<string, V1.ProofStatus> _status = new(StringComparer.Ordinal);

    public void Queued() => _queued.Set();

    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(SubmitLoopAsync(stopping), ReceiptLoopAsync(stopping));

    private bool AnyAwaitingCommit => _status.Values.Any(s => s == V1.ProofStatus.Received);

    private async Task SubmitLoopAsync(CancellationToken stopping)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        var lastPoll = options.TimeProvider.GetTimestamp();
        while (!stopping.IsCancellationRequested)
        {
            var wake = _queued.WaitAsync();
            try
            {
                foreach (var proof in outbox.PendingProofs().Where(p => !_status.ContainsKey(p.ProofId)))
                {
                    await SendAsync(proof, stopping).ConfigureAwait(false);
                }

                if (AnyAwaitingCommit && options.TimeProvider.GetElapsedTime(lastPoll) >= options.ReceiptPollInterval)
                {
                    await PollAsync(stopping).ConfigureAwait(false);
                    lastPoll = options.TimeProvider.GetTimestamp();
                }

                backoff.Reset();
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                await connection.DelayAsync(backoff.Next(e), stopping).ConfigureAwait(false);
                continue;
            }

            var timeout = AnyAwaitingCommit ? options.ReceiptPollInterval : Timeout.InfiniteTimeSpan;
            try
            {
                await wake.WaitAsync(timeout, options.TimeProvider, stopping).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    private async Task SendAsync(SubmitProofRequest proof, CancellationToken stopping)
    {
        if (proof.PhotoSha256.Count > 0)
        {
            var blobs = new V1.Uploads.UploadsClient(connection.Channel);
            var missing = await blobs.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { proof.PhotoSha256.Distinct(StringComparer.Ordinal) } },
                deadline: Deadline(), cancellationToken: stopping).ConfigureAwait(false);
            foreach (var digest in missing.MissingSha256)
            {
                var photo = await PhotoFile.ReadAsync(outbox.PhotoPath(digest), stopping).ConfigureAwait(false);
                await uploader.UploadAsync(photo, progress: null, options.MaxUploadAttempts, stopping).ConfigureAwait(false);
            }
        }

        V1.ProofReceipt receipt;
        try
        {
            var proofs = new V1.Proofs.ProofsClient(connection.Channel);
            receipt = await proofs.SubmitProofAsync(proof, deadline: Deadline(), cancellationToken: stopping).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied)
        {
            // The gateway will never take this proof as it is: set it aside (kept on the device) so it does not block
            // the ones behind it, and tell the app.
            outbox.RejectProof(proof.ProofId);
            _status.TryRemove(proof.ProofId, out _);
            report(new Client.ProofReceipt { ProofId = proof.ProofId, Status = Client.ProofStatus.Rejected, Reason = e.Status.Detail });
            changed();
            return;
        }

        Handle(receipt);
    }

    private async Task PollAsync(CancellationToken stopping)
    {
        var proofs = new V1.Proofs.ProofsClient(connection.Channel);
        foreach (var proofId in _status.Where(s => s.Value == V1.ProofStatus.Received).Select(s => s.Key).ToList())
        {
            Handle(await proofs.GetProofStatusAsync(new GetProofStatusRequest { ProofId = proofId }, deadline: Deadline(), cancellationToken: stopping)
                .ConfigureAwait(false));
        }
    }

    private async Task ReceiptLoopAsync(CancellationToken stopping)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        while (!stopping.IsCancellationRequested)
        {
            var wake = _received.WaitAsync();
            if (!AnyAwaitingCommit)
            {
                await wake.WaitAsync(stopping).ConfigureAwait(false);
                continue;
            }

            try
            {
                var proofs = new V1.Proofs.ProofsClient(connection.Channel);
                using var call = proofs.WatchReceipts(new WatchReceiptsRequest(), cancellationToken: stopping);

                // What changed while no stream was open is not replayed without `since`; ask for it once the stream is up.
                await PollAsync(stopping).ConfigureAwait(false);
                while (AnyAwaitingCommit && await call.ResponseStream.MoveNext(stopping).ConfigureAwait(false))
                {
                    Handle(call.ResponseStream.Current);
                    backoff.Reset();
                }
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                await connection.DelayAsync(backoff.Next(e), stopping).ConfigureAwait(false);
            }
        }
    }

    private void Handle(V1.ProofReceipt receipt)
    {
        var known = _status.TryGetValue(receipt.ProofId, out var previous);
        if (known && previous == receipt.Status)
        {
            return;
        }

        switch (receipt.Status)
        {
            case V1.ProofStatus.Committed:
                outbox.RemoveProof(receipt.ProofId);
                _status.TryRemove(receipt.ProofId, out _);
                break;
            case V1.ProofStatus.Rejected:
                outbox.RejectProof(receipt.ProofId);
                _status.TryRemove(receipt.ProofId, out _);
                break;
            case V1.ProofStatus.Received:
                _status[receipt.ProofId] = receipt.Status;
                _received.Set();
                break;
            default:
                return;
        }

        report(new Client.ProofReceipt
        {
            ProofId = receipt.ProofId,
            Status = (Client.ProofStatus)receipt.Status,
            Reason = receipt.Reason,
            UpdatedAt = receipt.UpdatedAt?.ToDateTimeOffset(),
            PhotoWithheld = receipt.PhotoWithheld,
            PhotoWithheldReason = receipt.PhotoWithheldReason,
            OffSite = receipt.OffSite,
        });
        changed();
    }

    private DateTime Deadline() => DateTime.UtcNow + options.AttemptTimeout;
}

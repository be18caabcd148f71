using System.Collections.Concurrent;
using Edge.Client.Connection;
using Edge.Client.Outbox;
using Edge.Client.Uploads;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using V1 = Edge.V1;

namespace Edge.Client.Proofs;

/// <summary>
/// Drains queued proofs: uploads the photos the gateway lacks, then submits the proof (idempotent by proof_id), then
/// follows it through <c>WatchReceipts</c> (from the last receipt seen, so changes made while no stream was open are
/// replayed; <c>GetProofStatus</c> now and then as a backstop) until the core commits or rejects it. Only then does the
/// proof leave the outbox. A proof the gateway refuses as it is moves aside, so it does not hold up those behind it.
/// </summary>
internal sealed class ProofDispatcher(GatewayConnection connection, OutboxStore outbox, PhotoUploader uploader, EdgeClientOptions options,
    Action<Client.ProofReceipt> report, Action changed)
{
    // Receipts are stamped by whichever replica changed them: ask from a little before the last one seen, so a replica
    // whose clock runs behind does not hide a change. Repeats are harmless.
    private static readonly TimeSpan SinceMargin = TimeSpan.FromSeconds(5);

    private readonly AsyncSignal _queued = new();
    private readonly AsyncSignal _received = new();

    // The last receipt seen of each proof in the outbox. A proof missing here has not been answered since this client
    // started: it is submitted (again; the gateway answers a repeat with the current receipt).
    private readonly ConcurrentDictionary<string, V1.ProofReceipt> _status = new(StringComparer.Ordinal);

    public void Queued() => _queued.Set();

    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(SubmitLoopAsync(stopping), ReceiptLoopAsync(stopping));

    private bool AnyAwaitingCommit => _status.Values.Any(r => r.Status == V1.ProofStatus.Received);

    private async Task SubmitLoopAsync(CancellationToken stopping)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        var lastPoll = options.TimeProvider.GetTimestamp();
        while (!stopping.IsCancellationRequested)
        {
            var wake = _queued.WaitAsync();
            try
            {
                foreach (var proof in outbox.PendingProofs().Select(p => p.Request).Where(p => !_status.ContainsKey(p.ProofId)))
                {
                    try
                    {
                        await SendAsync(proof, stopping).ConfigureAwait(false);
                    }
                    catch (Exception e) when (Refusal(e) is { } reason)
                    {
                        SetAside(proof.ProofId, reason, (e as PhotoRejectedException)?.Reason);
                    }
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
                var photo = await outbox.ReadPhotoAsync(digest, stopping).ConfigureAwait(false);
                await uploader.UploadAsync(photo, progress: null, options.MaxUploadAttempts, stopping).ConfigureAwait(false);
            }
        }

        var proofs = new V1.Proofs.ProofsClient(connection.Channel);
        Handle(await proofs.SubmitProofAsync(proof, deadline: Deadline(), cancellationToken: stopping).ConfigureAwait(false));
    }

    /// <summary>
    /// Why the gateway will never take this proof as it is, or null when a retry may succeed. The photos the gateway
    /// lacked were uploaded just before, so a photo it still misses or cannot take, a stop or package not on the route,
    /// a malformed field or a route outside the token are all final. (A proof id another device holds is answered with a
    /// REJECTED receipt, handled as any other; ALREADY_EXISTS is how gateways before that answered it.)
    /// </summary>
    private static string? Refusal(Exception error) => error switch
    {
        RpcException { StatusCode: StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.PermissionDenied
            or StatusCode.AlreadyExists or StatusCode.DataLoss or StatusCode.OutOfRange } e => $"{e.StatusCode}: {e.Status.Detail}",
        FileNotFoundException e => "a photo of the proof is missing from the outbox: " + e.FileName,
        DamagedEntryException e => "a photo of the proof could not be read from the outbox (moved to damaged/): " + e.Message,
        _ => null,
    };

    /// <summary>Moves a refused proof aside (kept on the device with its photos) and tells the app.</summary>
    private void SetAside(string proofId, string reason, PhotoRejectionReason? photoRejection)
    {
        outbox.RejectProof(proofId);
        _status.TryRemove(proofId, out _);
        report(new Client.ProofReceipt { ProofId = proofId, Status = Client.ProofStatus.Rejected, Reason = reason, PhotoRejection = photoRejection });
        changed();
    }

    private async Task PollAsync(CancellationToken stopping)
    {
        var proofs = new V1.Proofs.ProofsClient(connection.Channel);
        foreach (var proofId in _status.Where(s => s.Value.Status == V1.ProofStatus.Received).Select(s => s.Key).ToList())
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
                using var call = proofs.WatchReceipts(new WatchReceiptsRequest { Since = Since() }, cancellationToken: stopping);
                while (AnyAwaitingCommit && await call.ResponseStream.MoveNext(stopping).ConfigureAwait(false))
                {
                    var receipt = call.ResponseStream.Current;
                    Handle(receipt);
                    if (receipt.UpdatedAt is { } updatedAt)
                    {
                        outbox.AdvanceReceiptsSeen(updatedAt.ToDateTimeOffset());
                    }

                    backoff.Reset();
                }
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                await connection.DelayAsync(backoff.Next(e), stopping).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Where the watch starts its replay: the last receipt the stream brought (kept in the outbox, so it survives the
    /// app), or else the oldest answer of a proof still awaiting its commit.
    /// </summary>
    private Timestamp? Since()
    {
        var since = outbox.ReceiptsSeen() ?? _status.Values.Where(r => r.UpdatedAt is not null).Select(r => (DateTimeOffset?)r.UpdatedAt.ToDateTimeOffset()).Min();
        return since is { } at ? Timestamp.FromDateTimeOffset(at - SinceMargin) : null;
    }

    private void Handle(V1.ProofReceipt receipt)
    {
        var known = _status.TryGetValue(receipt.ProofId, out var previous);
        if (known ? previous!.Status == receipt.Status : !outbox.HoldsProof(receipt.ProofId))
        {
            // Nothing new, or a replayed receipt of a proof that already left the outbox.
            return;
        }

        switch (receipt.Status)
        {
            case V1.ProofStatus.Committed:
                outbox.RemoveProof(receipt.ProofId, deleteOriginals: !options.KeepOriginalPhotos);
                _status.TryRemove(receipt.ProofId, out _);
                break;
            case V1.ProofStatus.Rejected:
                outbox.RejectProof(receipt.ProofId);
                _status.TryRemove(receipt.ProofId, out _);
                break;
            case V1.ProofStatus.Received:
                _status[receipt.ProofId] = receipt;
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

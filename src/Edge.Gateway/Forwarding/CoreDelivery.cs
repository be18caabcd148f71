using Core.V1;
using Edge.Gateway.Core;
using Edge.Gateway.Blobs;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage;
using Google.Protobuf;
using Grpc.Core;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// One delivery attempt of outbox entries to the core over <c>core.v1</c>. A call that fails in a way a retry can fix
/// throws <see cref="RpcException"/>; a final answer (taken, or refused for good) is applied to the gateway's records
/// before the method returns, so the caller may complete the entries.
/// </summary>
internal sealed class CoreDelivery(
    CoreConnection core,
    IProofStore proofs,
    IDeadLetters deadLetters,
    IReceiptFeed receipts,
    BlobStore blobs,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    ILogger<CoreDelivery> logger)
{
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>True for failures a later attempt can fix.</summary>
    public static bool IsTransient(RpcException e) => e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
        or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Aborted or StatusCode.Cancelled or StatusCode.Unknown
        or StatusCode.FailedPrecondition;

    /// <summary>Delivers up to 500 scan events in one call; every entry is settled when it returns.</summary>
    public async Task DeliverScansAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        var request = new DeliverScansRequest();
        request.Events.AddRange(entries.Select(e => ScanWire.ToCore(ScanRecordCodec.Decode(e.Payload))));
        var client = new global::Core.V1.Scans.ScansClient(await core.GetChannelAsync(cancellationToken));
        DeliverScansResponse response;
        try
        {
            response = await client.DeliverScansAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
        {
            foreach (var entry in entries)
            {
                await DeadLetterAsync(entry, "the core called the batch malformed: " + e.Status.Detail, cancellationToken);
            }

            return;
        }

        var now = timeProvider.GetUtcNow();
        for (var i = 0; i < entries.Count; i++)
        {
            var result = i < response.Results.Count ? response.Results[i] : null;
            if (result is { Outcome: DeliveryOutcome.Rejected })
            {
                await DeadLetterAsync(entries[i], result.Reason, cancellationToken);
                metrics.Forwarded(OutboxLane.Scans, committed: false, now - entries[i].EnqueuedAt);
            }
            else
            {
                metrics.Forwarded(OutboxLane.Scans, committed: true, now - entries[i].EnqueuedAt);
            }
        }

        ForwardingLog.ScansForwarded(logger, entries.Count);
    }

    /// <summary>Uploads the photos the core lacks, then delivers the proof and records its new status.</summary>
    public async Task DeliverProofAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var record = await proofs.GetAsync(entry.ItemId, cancellationToken);
        if (record is null)
        {
            ForwardingLog.ProofRecordMissing(logger, entry.ItemId);
            return;
        }

        if (record.Receipt.IsFinal)
        {
            return;
        }

        var request = ProofWire.ToCore(record.Proof);
        var channel = await core.GetChannelAsync(cancellationToken);
        var missingHere = await UploadMissingBlobsAsync(new global::Core.V1.Blobs.BlobsClient(channel), request, cancellationToken);
        if (missingHere is not null)
        {
            await FinishAsync(entry, record, ProofState.Rejected, $"photo {missingHere} is no longer on the gateway", cancellationToken);
            return;
        }

        DeliverProofResponse response;
        try
        {
            response = await new global::Core.V1.Proofs.ProofsClient(channel).DeliverProofAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
        {
            await FinishAsync(entry, record, ProofState.Rejected, "the core called the proof malformed: " + e.Status.Detail, cancellationToken);
            return;
        }

        if (response.Outcome == DeliveryOutcome.Rejected)
        {
            await FinishAsync(entry, record, ProofState.Rejected, response.Reason, cancellationToken);
        }
        else
        {
            await FinishAsync(entry, record, ProofState.Committed, string.Empty, cancellationToken);
            ForwardingLog.ProofCommitted(logger, entry.ItemId, response.Outcome.ToString());
        }
    }

    /// <summary>Uploads what the core lacks; returns a digest the gateway no longer has, or null when all is there.</summary>
    private async Task<string?> UploadMissingBlobsAsync(global::Core.V1.Blobs.BlobsClient client, DeliverProofRequest proof, CancellationToken cancellationToken)
    {
        var digests = proof.Photos.SelectMany(p => new[] { p.StoredSha256, p.ThumbnailSha256 })
            .Where(d => d.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (digests.Count == 0)
        {
            return null;
        }

        var missing = await client.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { digests } }, deadline: Deadline(), cancellationToken: cancellationToken);
        foreach (var digest in missing.MissingSha256)
        {
            if (!blobs.Exists(digest))
            {
                return digest;
            }

            var contentType = proof.Photos.FirstOrDefault(p => p.StoredSha256 == digest)?.ContentType ?? "image/jpeg";
            await UploadAsync(client, digest, contentType, cancellationToken);
        }

        return null;
    }

    private async Task UploadAsync(global::Core.V1.Blobs.BlobsClient client, string digest, string contentType, CancellationToken cancellationToken)
    {
        await using var file = blobs.OpenRead(digest);
        using var call = client.UploadBlob(deadline: Deadline(), cancellationToken: cancellationToken);
        var buffer = new byte[(int)Math.Min(ChunkBytes, Math.Max(1, file.Length))];
        var first = new BlobChunk { Header = new BlobHeader { Sha256 = digest, SizeBytes = file.Length, ContentType = contentType } };
        int read;
        var sentHeader = false;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var chunk = sentHeader ? new BlobChunk() : first;
            chunk.Data = ByteString.CopyFrom(buffer, 0, read);
            await call.RequestStream.WriteAsync(chunk, cancellationToken);
            sentHeader = true;
        }

        if (!sentHeader)
        {
            await call.RequestStream.WriteAsync(first, cancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        var response = await call;
        ForwardingLog.BlobUploaded(logger, response.Sha256, response.SizeBytes);
    }

    private async Task FinishAsync(OutboxEntry entry, ProofRecord record, ProofState status, string reason, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (status == ProofState.Rejected)
        {
            await DeadLetterAsync(entry, reason, cancellationToken);
        }

        var receipt = record.Receipt with { Status = status, Reason = reason, UpdatedAt = now };
        await proofs.SetReceiptAsync(entry.ItemId, receipt, cancellationToken);
        metrics.Forwarded(OutboxLane.Proofs, status == ProofState.Committed, now - entry.EnqueuedAt);
        try
        {
            await receipts.PublishAsync(record.DeviceId, receipt, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ProofsLog.PublishFailed(logger, entry.ItemId, e);
        }
    }

    private async Task DeadLetterAsync(OutboxEntry entry, string reason, CancellationToken cancellationToken)
    {
        await deadLetters.AddAsync(new DeadLetter(DeadLetter.IdFor(entry.Lane, entry.ItemId), entry.Lane, entry.ItemId, entry.Payload, reason, timeProvider.GetUtcNow()), cancellationToken);
        metrics.DeadLettered(entry.Lane);
        ForwardingLog.DeadLettered(logger, entry.Lane, entry.ItemId, reason);
    }

    private DateTime Deadline() => DateTime.UtcNow + core.CallTimeout;
}

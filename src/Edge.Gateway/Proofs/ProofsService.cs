using System.Threading.Channels;
using Edge.Gateway.Blobs;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Limits;
using Edge.Gateway.Proofs.Reuse;
using Edge.Gateway.Scans;
using Edge.Gateway.Security;
using Edge.Gateway.Storage;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Proofs;

/// <summary>
/// The <c>edge.v1.Proofs</c> service: checks a proof and its photos, stores it with its outbox entry before answering
/// RECEIVED, and reports its progress to the device.
/// </summary>
[Authorize(Policy = EdgeAuthorization.DevicePolicy)]
internal sealed class ProofsService(
    IProofStore proofs,
    IProofRules rules,
    IBlobIndex blobIndex,
    BlobStore blobs,
    IReceiptFeed receipts,
    PhotoReuseCheck photoReuse,
    OutboxSignal signal,
    DeviceLimits limits,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<IntakeOptions> options,
    ILogger<ProofsService> logger) : V1.Proofs.ProofsBase
{
    /// <summary>The reason of the REJECTED receipt answering a proof id another device holds (never which device).</summary>
    internal const string ProofIdTaken = "proof id already used by another device; use a new proof_id";

    private const int MaxPhotos = 20;
    private const int MaxPackages = 500;

    public override async Task<ProofReceipt> SubmitProof(SubmitProofRequest request, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        var cancellationToken = context.CancellationToken;
        if (!IntakeChecks.IsId(request.ProofId))
        {
            EdgeErrors.InvalidArgument("proof_id", "1-128 characters of [A-Za-z0-9._:-]");
        }

        await limits.TakeAsync(DeviceRate.Proofs, device.DeviceId, 1, cancellationToken);

        // The same proof id again: the first answer, whatever this request carries.
        if (await proofs.GetAsync(request.ProofId, cancellationToken) is { } first)
        {
            return OwnReceipt(first, device);
        }

        Validate(request);
        var ruling = await rules.EvaluateAsync(request, device, cancellationToken);
        if (ruling.Refusal is { } refusal)
        {
            ProofsLog.Refused(logger, request.ProofId, ClientText.Bound(device.DeviceId), refusal.StatusCode, ClientText.Bound(refusal.Detail, ClientText.MaxMessageLength));
            throw new RpcException(refusal);
        }

        var digests = request.PhotoSha256.Distinct(StringComparer.Ordinal).ToList();
        var now = timeProvider.GetUtcNow();
        var photos = new List<ForwardedPhoto>(digests.Count);
        var perceptualHashes = new List<string>(digests.Count);
        if (!ruling.PhotoWithheld)
        {
            if (digests.Count == 0)
            {
                EdgeErrors.InvalidArgument("photo_sha256", "name at least one uploaded photo");
            }

            foreach (var digest in digests)
            {
                var blob = await blobIndex.GetOwnedAsync(device.DeviceId, digest, cancellationToken);
                if (blob is null)
                {
                    Refuse(request, device, $"photo {digest} was not uploaded by this device (upload it through Uploads first)");
                }

                if (blob.Photo is null)
                {
                    Refuse(request, device, $"blob {digest} is not a validated photo");
                }

                photos.Add(new ForwardedPhoto(blob.StoredSha256, blob.Photo.ThumbnailSha256, blob.DeviceSha256, blob.ContentType,
                    blob.Photo.FacesChecked, blob.Photo.FacesBlurred));
                perceptualHashes.Add(blob.Photo.PerceptualHash);
            }
        }

        var withheldReason = ruling.PhotoWithheld ? ruling.PhotoWithheldReason : string.Empty;
        var proof = new ProofContent(request.ProofId, device.DeviceId, device.DriverId, request.RouteId, request.StopId, [.. request.PackageIds],
            request.DeliveredAt.ToDateTimeOffset(), ScanWire.FromDevice(request.Location), (ParcelPlace)(int)request.PlaceLeft, photos,
            ruling.PhotoWithheld, withheldReason, ruling.OffSite, request.Note, now);

        // Before the proof is stored: the finding is part of the stored proof and of the receipt.
        var reuse = await photoReuse.CheckAsync(proof, perceptualHashes, cancellationToken);
        var receipt = reuse.ApplyTo(new ReceiptRecord(request.ProofId, ProofState.Received, string.Empty, now,
            ruling.PhotoWithheld, withheldReason, ruling.OffSite));
        var record = new ProofRecord(device.DeviceId, receipt, reuse.ApplyTo(proof), ruling.PhotoWithheld ? [] : digests);
        var added = await proofs.AddAsync(record, cancellationToken);
        switch (added.Outcome)
        {
            case ProofAddOutcome.Exists:
                return OwnReceipt(added.Existing!, device);
            case ProofAddOutcome.PhotoMissing:
                Refuse(request, device, $"photo {added.MissingDigest} was not uploaded by this device (upload it through Uploads first)");
                break;
        }

        // RECEIVED goes out before this replica's forwarder is woken, so watchers see it before COMMITTED.
        try
        {
            await receipts.PublishAsync(device.DeviceId, receipt, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ProofsLog.PublishFailed(logger, request.ProofId, e);
        }

        signal.Notify(OutboxLane.Proofs);
        metrics.ProofReceived();
        ProofsLog.Received(logger, request.ProofId, ClientText.Bound(device.DeviceId), photos.Count, ruling.PhotoWithheld, ruling.OffSite);
        if (ruling.PhotoWithheld)
        {
            await DeleteWithheldPhotosAsync(request.ProofId, device.DeviceId, digests, cancellationToken);
        }

        return ProofWire.ToWire(receipt);
    }

    public override async Task<ProofReceipt> GetProofStatus(GetProofStatusRequest request, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        if (!IntakeChecks.IsId(request.ProofId))
        {
            EdgeErrors.InvalidArgument("proof_id", "1-128 characters of [A-Za-z0-9._:-]");
        }

        var record = await proofs.GetAsync(request.ProofId, context.CancellationToken);
        if (record is null || record.DeviceId != device.DeviceId)
        {
            EdgeErrors.NotFound($"no proof {ClientText.Bound(request.ProofId)} of this device");
        }

        return ProofWire.ToWire(record.Receipt);
    }

    public override async Task WatchReceipts(WatchReceiptsRequest request, IServerStreamWriter<ProofReceipt> responseStream, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        var cancellationToken = context.CancellationToken;
        DateTimeOffset? since = null;
        if (request.Since is not null)
        {
            since = IntakeChecks.ToTime(request.Since);
            if (since is null)
            {
                EdgeErrors.InvalidArgument("since", IntakeChecks.TimeRange);
            }
        }

        await using var slot = await limits.OpenStreamAsync("receipt_watches", device.DeviceId, string.Empty, limits.Options.MaxReceiptWatchesPerDevice, cancellationToken);
        var changes = Channel.CreateBounded<ReceiptRecord>(new BoundedChannelOptions(limits.Options.WatcherQueueLength) { SingleReader = true });
        var behind = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Subscribe before the replay, so a change made in between is sent (perhaps twice) rather than lost. A watcher that
        // falls a whole queue behind is ended: it watches again with `since` and loses nothing.
        await using var subscription = await receipts.SubscribeAsync(device.DeviceId, r =>
        {
            if (!changes.Writer.TryWrite(r))
            {
                behind.TrySetResult();
            }
        }, cancellationToken);

        // Headers tell the device the watch is live: every change from here on reaches it.
        await context.WriteResponseHeadersAsync([]);
        try
        {
            if (since is { } from)
            {
                foreach (var receipt in await proofs.ListChangedSinceAsync(device.DeviceId, from, cancellationToken))
                {
                    await WriteUnlessBehindAsync(responseStream, receipt, device.DeviceId, behind.Task, cancellationToken);
                }
            }

            await foreach (var receipt in changes.Reader.ReadAllAsync(cancellationToken))
            {
                await WriteUnlessBehindAsync(responseStream, receipt, device.DeviceId, behind.Task, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The device went away.
        }
    }

    // A write waits for the device to read (HTTP/2 flow control); a device that reads nothing while its queue fills is
    // not waited for: the call ends, and what its buffers hold is sent before the status when it reads again.
    private async Task WriteUnlessBehindAsync(IServerStreamWriter<ProofReceipt> responseStream, ReceiptRecord receipt, string deviceId, Task behind, CancellationToken cancellationToken)
    {
        if (!behind.IsCompleted)
        {
            var write = responseStream.WriteAsync(ProofWire.ToWire(receipt), cancellationToken);
            if (write.IsCompleted || await Task.WhenAny(write, behind) == write)
            {
                await write;
                return;
            }

            _ = write.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        limits.Refuse(deviceId, "receipt_watch_behind",
            $"This watch fell {limits.Options.WatcherQueueLength} receipts behind; watch again with since set to the last receipt's time.", TimeSpan.FromSeconds(1));
    }

    // The device gives up a photo no proof may keep; the bytes go when no other device holds them (storage dedupes
    // underneath, so another device's identical photo stays).
    private async Task DeleteWithheldPhotosAsync(string proofId, string deviceId, IReadOnlyList<string> digests, CancellationToken cancellationToken)
    {
        foreach (var digest in digests)
        {
            if (await blobIndex.ReleaseWithheldAsync(deviceId, digest, cancellationToken) is { } release)
            {
                BlobSweeper.DeleteFiles(blobs, release);
                ProofsLog.WithheldPhotoDeleted(logger, proofId, digest);
            }
        }
    }

    /// <summary>
    /// The answer to a proof id that is taken: its receipt for the device that took it; for any other device a
    /// REJECTED receipt saying the id is in use, with nothing stored and nothing about the proof or its device.
    /// </summary>
    private ProofReceipt OwnReceipt(ProofRecord record, DeviceIdentity device)
    {
        if (record.DeviceId == device.DeviceId)
        {
            return ProofWire.ToWire(record.Receipt);
        }

        ProofsLog.ProofIdTaken(logger, record.Receipt.ProofId, ClientText.Bound(device.DeviceId), ClientText.Bound(record.DeviceId));
        return new ProofReceipt
        {
            ProofId = record.Receipt.ProofId,
            Status = ProofStatus.Rejected,
            Reason = ProofIdTaken,
            UpdatedAt = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
        };
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Refuse(SubmitProofRequest request, DeviceIdentity device, string message)
    {
        ProofsLog.Refused(logger, request.ProofId, ClientText.Bound(device.DeviceId), StatusCode.FailedPrecondition, message);
        EdgeErrors.FailedPrecondition(message);
    }

    private void Validate(SubmitProofRequest request)
    {
        if (!IntakeChecks.IsId(request.RouteId))
        {
            EdgeErrors.InvalidArgument("route_id", "1-128 characters of [A-Za-z0-9._:-]");
        }

        if (!IntakeChecks.IsId(request.StopId))
        {
            EdgeErrors.InvalidArgument("stop_id", "1-128 characters of [A-Za-z0-9._:-]");
        }

        if (request.PackageIds.Count is 0 or > MaxPackages)
        {
            EdgeErrors.InvalidArgument("package_ids", $"name 1 to {MaxPackages} packages");
        }

        for (var i = 0; i < request.PackageIds.Count; i++)
        {
            if (!IntakeChecks.IsId(request.PackageIds[i]))
            {
                EdgeErrors.InvalidArgument($"package_ids[{i}]", "1-128 characters of [A-Za-z0-9._:-]");
            }
        }

        if (request.DeliveredAt is null)
        {
            EdgeErrors.InvalidArgument("delivered_at", "required");
        }

        var deliveredAt = IntakeChecks.ToTime(request.DeliveredAt);
        if (deliveredAt is null)
        {
            EdgeErrors.InvalidArgument("delivered_at", IntakeChecks.TimeRange);
        }

        if (deliveredAt > timeProvider.GetUtcNow() + options.Value.MaxClockSkew)
        {
            EdgeErrors.InvalidArgument("delivered_at", "too far in the future (check the device clock)");
        }

        if (IntakeChecks.CheckLocation(request.Location) is { } location)
        {
            EdgeErrors.InvalidArgument("location", location);
        }

        if (!System.Enum.IsDefined(request.PlaceLeft))
        {
            EdgeErrors.InvalidArgument("place_left", "unknown value");
        }

        if (request.PhotoSha256.Count > MaxPhotos)
        {
            EdgeErrors.InvalidArgument("photo_sha256", $"at most {MaxPhotos} photos");
        }

        for (var i = 0; i < request.PhotoSha256.Count; i++)
        {
            if (!IntakeChecks.Sha256().IsMatch(request.PhotoSha256[i]))
            {
                EdgeErrors.InvalidArgument($"photo_sha256[{i}]", "64 lowercase hex characters");
            }
        }

        if (request.Note.Length > 1000)
        {
            EdgeErrors.InvalidArgument("note", "at most 1000 characters");
        }
    }
}

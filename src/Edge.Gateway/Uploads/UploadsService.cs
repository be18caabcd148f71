using System.Text.RegularExpressions;
using Edge.Gateway.Blobs;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Imaging;
using Edge.Gateway.Limits;
using Edge.Gateway.Security;
using Edge.Gateway.Storage;
using Edge.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Uploads;

/// <summary>
/// The <c>edge.v1.Uploads</c> service: the protocol only. A stream's start is checked and claimed here; its chunks
/// are taken by an <see cref="UploadWriter"/>; the finished object is stored by <see cref="PhotoIngest"/>. Every answer
/// is for the calling device: a digest only another device uploaded is missing for it.
/// </summary>
[Authorize(Policy = EdgeAuthorization.DevicePolicy)]
internal sealed partial class UploadsService(
    IUploadSessionStore sessions,
    IBlobIndex blobIndex,
    StagingArea staging,
    PhotoIngest ingest,
    LocalWriters localWriters,
    DeviceLimits limits,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<UploadOptions> options,
    ILogger<UploadsService> logger) : V1.Uploads.UploadsBase
{
    private readonly UploadOptions _options = options.Value;

    public override async Task Upload(IAsyncStreamReader<UploadRequest> requestStream, IServerStreamWriter<UploadResponse> responseStream, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        var token = context.CancellationToken;
        var requests = limits.WithDeadlines(requestStream, device.DeviceId, "upload");
        try
        {
            if (!await requests.MoveNext(token))
            {
                return;
            }

            if (requestStream.Current.KindCase != UploadRequest.KindOneofCase.Start)
            {
                EdgeErrors.InvalidArgument("start", "the first message of an upload must be an UploadStart");
            }

            var start = requestStream.Current.Start;
            ValidateStart(start);
            await limits.TakeAsync(DeviceRate.UploadStarts, device.DeviceId, 1, token);
            if (await blobIndex.GetOwnedAsync(device.DeviceId, start.Sha256, token) is { } owned)
            {
                // An earlier completion of this upload may have stopped before it removed the staged bytes.
                if (staging.Exists(start.UploadId) && await sessions.GetAsync(start.UploadId, token) is { State: UploadState.Completed } done
                    && done.DeviceId == device.DeviceId)
                {
                    staging.Delete(start.UploadId);
                }

                metrics.DedupeHit();
                UploadLog.DedupeHit(logger, start.UploadId, start.Sha256);
                await responseStream.WriteAsync(Started(start.SizeBytes, owned), token);
                return;
            }

            // Each writing stream holds its staging file open: their number is bounded with the descriptors.
            if (!localWriters.TryStartWriting(_options.MaxWritingUploads))
            {
                limits.Refuse(device.DeviceId, "gateway_writers",
                    $"The gateway is writing {_options.MaxWritingUploads} uploads at once; retry shortly.", TimeSpan.FromSeconds(1));
            }

            try
            {
                var claim = await ClaimAsync(start, device, token);
                if (claim.Outcome == ClaimOutcome.Completed)
                {
                    // Completed, but the device no longer holds the photo (withheld, or released after its retention):
                    // the upload starts over.
                    await sessions.DiscardAsync(claim.Session!, CancellationToken.None);
                    staging.Delete(start.UploadId);
                    claim = await ClaimAsync(start, device, token);
                }

                // The first chunk is due soon after the start is answered: an upload that never sends a byte holds nothing.
                requests.ExpectSoon();
                await WriteAsync(claim.Session!, device.RouteIds, claim.TookOver, requests, responseStream, context);
            }
            finally
            {
                localWriters.StopWriting();
            }
        }
        catch (RpcException e)
        {
            metrics.UploadFailed(e.StatusCode);
            throw;
        }
    }

    public override async Task<QueryUploadResponse> QueryUpload(QueryUploadRequest request, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        ValidateUploadId(request.UploadId);
        var session = await sessions.GetAsync(request.UploadId, context.CancellationToken);
        if (session is null)
        {
            EdgeErrors.NotFound($"No upload {request.UploadId}: it never started, or it expired and its bytes were removed.");
        }

        if (session.DeviceId != device.DeviceId)
        {
            EdgeErrors.PermissionDenied($"Upload {request.UploadId} belongs to another device.");
        }

        var response = new QueryUploadResponse
        {
            UploadId = session.UploadId,
            State = QueryUploadResponse.Types.State.InProgress,
            CommittedOffset = session.CommittedOffset,
            SizeBytes = session.SizeBytes,
            Sha256 = session.Sha256,
        };
        if (session.State == UploadState.Completed)
        {
            // Complete only while the device still holds the photo; otherwise the next Upload starts it over.
            if (await blobIndex.GetOwnedAsync(device.DeviceId, session.Sha256, context.CancellationToken) is { } held)
            {
                response.State = QueryUploadResponse.Types.State.Completed;
                response.Blob = BlobRecordWire.ToWire(held);
            }
            else
            {
                response.CommittedOffset = 0;
            }
        }

        return response;
    }

    public override async Task<FindMissingBlobsResponse> FindMissingBlobs(FindMissingBlobsRequest request, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        if (request.Sha256.Count > _options.MaxDigestsPerQuery)
        {
            EdgeErrors.InvalidArgument("sha256", $"at most {_options.MaxDigestsPerQuery} digests per call, got {request.Sha256.Count}");
        }

        for (var i = 0; i < request.Sha256.Count; i++)
        {
            if (!Sha256Pattern().IsMatch(request.Sha256[i]))
            {
                EdgeErrors.InvalidArgument($"sha256[{i}]", "must be 64 lowercase hex characters");
            }
        }

        IReadOnlyList<string> digests = request.Sha256.Count == 1 ? [request.Sha256[0]] : request.Sha256.Distinct(StringComparer.Ordinal).ToList();
        var missing = await blobIndex.FindMissingAsync(device.DeviceId, digests, context.CancellationToken);
        return new FindMissingBlobsResponse { MissingSha256 = { missing } };
    }

    private async Task WriteAsync(UploadSession session, IReadOnlySet<string> routes, bool tookOver, IAsyncStreamReader<UploadRequest> requests,
        IServerStreamWriter<UploadResponse> responses, ServerCallContext context)
    {
        var writerContext = new UploadWriterContext(sessions, staging, localWriters, _options, metrics, timeProvider, logger);
        await using var writer = new UploadWriter(session, tookOver, requests, responses, writerContext, context.CancellationToken);
        var token = context.CancellationToken;
        var received = await writer.ReceiveAsync(token);
        if (received is null)
        {
            return;
        }

        BlobRecord record;
        try
        {
            record = await ingest.CompleteAsync(session, received, routes, token);
        }
        catch (UploadDigestMismatchException e)
        {
            writer.MarkFinished();
            EdgeErrors.DataLoss($"The received bytes have SHA-256 {e.ActualSha256}, not the declared {session.Sha256}; the upload was discarded, start it again.");
            throw;
        }
        catch (PhotoRejectedException e)
        {
            writer.MarkFinished();
            EdgeErrors.PhotoRejected(e);
            throw;
        }
        catch (PhotoPipelineBusyException e)
        {
            // The bytes stay staged and committed: the retry goes straight to this step.
            EdgeErrors.ResourceExhausted(e.Message, e.RetryAfter);
            throw;
        }
        catch (UploadTakenOverException)
        {
            EdgeErrors.Aborted($"Upload {session.UploadId} was taken over by a newer stream.");
            throw;
        }

        writer.MarkFinished();
        await responses.WriteAsync(new UploadResponse { Completed = new UploadCompleted { Blob = BlobRecordWire.ToWire(record) } }, token);
    }

    private async Task<ClaimResult> ClaimAsync(UploadStart start, DeviceIdentity device, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var claim = new UploadClaim(start.UploadId, device.DeviceId, start.Sha256, start.SizeBytes,
            string.IsNullOrEmpty(start.ContentType) ? "application/octet-stream" : start.ContentType,
            now, now + _options.WriterLease, _options.MaxConcurrentUploadsPerDevice, _options.MaxStagingBytes,
            MaxUnfinishedPerDevice: _options.MaxUnfinishedUploadsPerDevice, MaxStagingBytesPerDevice: _options.MaxStagingBytesPerDevice);
        var result = await sessions.ClaimAsync(claim, cancellationToken);
        switch (result.Outcome)
        {
            case ClaimOutcome.OtherDevice:
                EdgeErrors.PermissionDenied($"Upload {start.UploadId} belongs to another device.");
                break;
            case ClaimOutcome.DifferentObject:
                EdgeErrors.FailedPrecondition(
                    $"Upload {start.UploadId} was started for another object (sha256 {result.Session!.Sha256}, {result.Session.SizeBytes} bytes); use a new upload_id.");
                break;
            case ClaimOutcome.TooManyUploads:
                limits.Refuse(device.DeviceId, "upload_writers",
                    $"This device already has {_options.MaxConcurrentUploadsPerDevice} uploads in progress; finish one first.", TimeSpan.FromSeconds(5));
                break;
            case ClaimOutcome.TooManyUnfinished:
                limits.Refuse(device.DeviceId, "unfinished_uploads",
                    $"This device already has {_options.MaxUnfinishedUploadsPerDevice} unfinished uploads; finish or abandon one first.", TimeSpan.FromSeconds(30));
                break;
            case ClaimOutcome.DeviceStagingFull:
                limits.Refuse(device.DeviceId, "device_staging",
                    $"This device's unfinished uploads already reserve its {_options.MaxStagingBytesPerDevice} bytes of staging space; finish one first.", TimeSpan.FromSeconds(30));
                break;
            case ClaimOutcome.StagingFull:
                limits.Refuse(device.DeviceId, "staging", "The gateway's staging space is full; retry later.", TimeSpan.FromSeconds(60));
                break;
            case ClaimOutcome.Claimed:
                var session = result.Session!;
                metrics.UploadStarted(result.Existed, result.TookOver);
                UploadLog.Started(logger, session.UploadId, device.DeviceId, session.CommittedOffset, session.SizeBytes, session.Epoch, result.Existed, result.TookOver);
                break;
        }

        return result;
    }

    private void ValidateStart(UploadStart start)
    {
        ValidateUploadId(start.UploadId);
        if (!Sha256Pattern().IsMatch(start.Sha256))
        {
            EdgeErrors.InvalidArgument("start.sha256", "must be 64 lowercase hex characters");
        }

        if (start.SizeBytes <= 0)
        {
            EdgeErrors.InvalidArgument("start.size_bytes", "must be positive");
        }

        if (start.SizeBytes > _options.MaxObjectBytes)
        {
            EdgeErrors.InvalidArgument("start.size_bytes", $"{start.SizeBytes} bytes exceeds the maximum of {_options.MaxObjectBytes}");
        }

        if (start.ContentType.Length > 100)
        {
            EdgeErrors.InvalidArgument("start.content_type", "at most 100 characters");
        }
    }

    private static void ValidateUploadId(string uploadId)
    {
        if (!UploadIdPattern().IsMatch(uploadId))
        {
            EdgeErrors.InvalidArgument("upload_id", "1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'");
        }
    }

    private UploadResponse Started(long committedOffset, BlobRecord record) => new()
    {
        Started = new UploadStarted { CommittedOffset = committedOffset, BlobExists = true, Blob = BlobRecordWire.ToWire(record), MaxChunkBytes = _options.MaxChunkBytes },
    };

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex UploadIdPattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();
}

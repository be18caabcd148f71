using Edge.Shared;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Imaging;
using Edge.Gateway.Security;
using Edge.Gateway.Storage;
using Edge.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Uploads;

/// <summary>The <c>edge.v1.Uploads</c> service: resumable, content-addressed photo uploads.</summary>
[Authorize(Policy = EdgeAuthorization.DevicePolicy)]
internal sealed partial class UploadsService(
    IUploadSessionStore sessions,
    IBlobIndex blobIndex,
    StagingArea staging,
    BlobStore blobs,
    IPhotoPipeline photos,
    LocalWriters localWriters,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<UploadOptions> options,
    ILogger<UploadsService> logger) : V1.Uploads.UploadsBase
{
    private readonly UploadOptions _options = options.Value;
    private readonly IUploadSessionStore _sessions = sessions;
    private readonly IBlobIndex _blobIndex = blobIndex;
    private readonly StagingArea _staging = staging;
    private readonly BlobStore _blobs = blobs;
    private readonly IPhotoPipeline _photos = photos;
    private readonly LocalWriters _localWriters = localWriters;
    private readonly EdgeMetrics _metrics = metrics;
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly ILogger _logger = logger;

    public override async Task Upload(IAsyncStreamReader<UploadRequest> requestStream, IServerStreamWriter<UploadResponse> responseStream, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        try
        {
            if (!await requestStream.MoveNext(context.CancellationToken))
            {
                return;
            }

            if (requestStream.Current.KindCase != UploadRequest.KindOneofCase.Start)
            {
                EdgeErrors.InvalidArgument("start", "the first message of an upload must be an UploadStart");
            }

            var start = requestStream.Current.Start;
            ValidateStart(start);

            if (await _blobIndex.GetAsync(start.Sha256, context.CancellationToken) is { } existing)
            {
                _metrics.DedupeHit();
                UploadLog.DedupeHit(_logger, start.UploadId, start.Sha256);
                await responseStream.WriteAsync(Started(start.SizeBytes, existing), context.CancellationToken);
                return;
            }

            var claim = await ClaimAsync(start, device, context.CancellationToken);
            var session = claim.Session!;
            if (session.State == UploadState.Completed)
            {
                await responseStream.WriteAsync(Started(session.SizeBytes, session.Blob!), context.CancellationToken);
                return;
            }

            await new Receiver(this, session, claim.TookOver, requestStream, responseStream, context).RunAsync();
        }
        catch (RpcException e)
        {
            _metrics.UploadFailed(e.StatusCode);
            throw;
        }
    }

    public override async Task<QueryUploadResponse> QueryUpload(QueryUploadRequest request, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        ValidateUploadId(request.UploadId);
        var session = await _sessions.GetAsync(request.UploadId, context.CancellationToken);
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
            State = session.State == UploadState.Completed ? QueryUploadResponse.Types.State.Completed : QueryUploadResponse.Types.State.InProgress,
            CommittedOffset = session.CommittedOffset,
            SizeBytes = session.SizeBytes,
            Sha256 = session.Sha256,
        };
        if (session.Blob is not null)
        {
            response.Blob = session.Blob;
        }

        return response;
    }

    public override async Task<FindMissingBlobsResponse> FindMissingBlobs(FindMissingBlobsRequest request, ServerCallContext context)
    {
        _ = DeviceIdentity.From(context);
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

        var missing = await _blobIndex.FindMissingAsync(request.Sha256.Distinct(StringComparer.Ordinal).ToList(), context.CancellationToken);
        return new FindMissingBlobsResponse { MissingSha256 = { missing } };
    }

    private async Task<ClaimResult> ClaimAsync(UploadStart start, DeviceIdentity device, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var claim = new UploadClaim(start.UploadId, device.DeviceId, start.Sha256, start.SizeBytes,
            string.IsNullOrEmpty(start.ContentType) ? "application/octet-stream" : start.ContentType,
            now, now + _options.WriterLease, _options.MaxConcurrentUploadsPerDevice, _options.MaxStagingBytes);
        var result = await _sessions.ClaimAsync(claim, cancellationToken);
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
                EdgeErrors.ResourceExhausted(
                    $"This device already has {_options.MaxConcurrentUploadsPerDevice} uploads in progress; finish one first.", TimeSpan.FromSeconds(5));
                break;
            case ClaimOutcome.StagingFull:
                EdgeErrors.ResourceExhausted("The gateway's staging space is full; retry later.", TimeSpan.FromSeconds(60));
                break;
        }

        if (result.Outcome == ClaimOutcome.Claimed)
        {
            var session = result.Session!;
            _metrics.UploadStarted(result.Existed, result.TookOver);
            UploadLog.Started(_logger, session.UploadId, device.DeviceId, session.CommittedOffset, session.SizeBytes, session.Epoch, result.Existed, result.TookOver);
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

    private UploadResponse Started(long committedOffset, StoredBlob blob) => new()
    {
        Started = new UploadStarted { CommittedOffset = committedOffset, BlobExists = true, Blob = blob, MaxChunkBytes = _options.MaxChunkBytes },
    };

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex UploadIdPattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    /// <summary>One writer's stream: receives chunks into its segment, syncs in batches, completes the upload.</summary>
    private sealed class Receiver(
        UploadsService owner,
        UploadSession session,
        bool tookOver,
        IAsyncStreamReader<UploadRequest> requests,
        IServerStreamWriter<UploadResponse> responses,
        ServerCallContext context)
    {
        private readonly UploadOptions _options = owner._options;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _received = session.CommittedOffset;
        private long _committed = session.CommittedOffset;
        private bool _completed;
        private Task _takenOver = Task.CompletedTask;

        public async Task RunAsync()
        {
            var writer = owner._localWriters.Register(session.UploadId, context.CancellationToken);
            var token = context.CancellationToken;

            // A newer stream on this replica, or shutdown, ends this one. Cancelling a pending read would reset the
            // HTTP/2 stream (the client would see CANCELLED), so the interruption is raced against the read instead.
            _takenOver = Task.Delay(Timeout.Infinite, writer.Token);
            FileStream? segment = null;
            try
            {
                segment = owner._staging.OpenSegment(session.UploadId, session.Epoch);
                if (session.CommittedOffset > 0)
                {
                    owner._staging.ReadCommitted(session, span => _hash.AppendData(span));
                }

                await responses.WriteAsync(new UploadResponse
                {
                    Started = new UploadStarted
                    {
                        CommittedOffset = session.CommittedOffset,
                        MaxChunkBytes = _options.MaxChunkBytes,
                        TookOver = tookOver,
                    },
                }, token);

                if (_received < session.SizeBytes)
                {
                    await ReceiveAsync(segment, token);
                }

                if (_received == session.SizeBytes)
                {
                    await segment.DisposeAsync();
                    segment = null;
                    await CompleteAsync(token);
                }
                else
                {
                    UploadLog.StreamEndedEarly(owner._logger, session.UploadId, _committed);
                }
            }
            finally
            {
                if (segment is not null)
                {
                    await SaveProgressAsync(segment);
                    await segment.DisposeAsync();
                }

                if (!_completed)
                {
                    await owner._sessions.ReleaseAsync(session, CancellationToken.None);
                }

                _hash.Dispose();
                owner._localWriters.Unregister(session.UploadId, writer);
            }
        }

        private async Task ReceiveAsync(FileStream segment, CancellationToken token)
        {
            var segmentStart = session.CommittedOffset;
            while (true)
            {
                var next = requests.MoveNext(token);
                if (!next.IsCompleted && _received > _committed)
                {
                    // Nothing more is waiting: make what we have durable now rather than leave the client waiting for
                    // an ack, but give a chunk already on its way a moment to join the batch. Not the first bytes of a
                    // stream: after a resume the client is waiting for word that the link carries again.
                    var idle = _committed == segmentStart ? Task.CompletedTask : Task.Delay(_options.SyncIdleDelay, owner._timeProvider, token);
                    if (await Task.WhenAny(next, idle) != next)
                    {
                        await SyncAsync(segment, token);
                    }
                }

                if (!next.IsCompleted && await Task.WhenAny(next, _takenOver) != next)
                {
                    if (owner._localWriters.IsStopping)
                    {
                        await SaveProgressAsync(segment);
                        EdgeErrors.Unavailable($"The gateway is shutting down; resume upload {session.UploadId} from offset {_committed}, on any replica.", TimeSpan.FromSeconds(1));
                    }

                    if (context.CancellationToken.IsCancellationRequested)
                    {
                        // The client's connection or stream went away (its token is linked into the writer's): no newer stream.
                        UploadLog.ConnectionLost(owner._logger, session.UploadId, session.Epoch, _received);
                        EdgeErrors.Unavailable($"The connection of upload {session.UploadId} was lost; resume it.", TimeSpan.Zero);
                    }

                    UploadLog.TakenOver(owner._logger, session.UploadId, session.Epoch);
                    EdgeErrors.Aborted($"Upload {session.UploadId} was taken over by a newer stream.");
                }

                if (!await next)
                {
                    await SyncAsync(segment, token);
                    return;
                }

                var request = requests.Current;
                if (request.KindCase != UploadRequest.KindOneofCase.Chunk)
                {
                    EdgeErrors.InvalidArgument("chunk", "after the UploadStart, every message must be an UploadChunk");
                }

                var chunk = request.Chunk;
                var data = chunk.Data.Span;
                if (data.Length == 0)
                {
                    EdgeErrors.InvalidArgument("chunk.data", "must not be empty");
                }

                if (data.Length > _options.MaxChunkBytes)
                {
                    EdgeErrors.InvalidArgument("chunk.data", $"{data.Length} bytes exceeds the maximum chunk of {_options.MaxChunkBytes}");
                }

                // A chunk may start before the next expected byte (a client that resumes without waiting for the
                // started answer sends from the last offset it saw acknowledged), never after it: bytes are kept in order.
                if (chunk.Offset > _received || chunk.Offset < 0)
                {
                    await RefuseAsync(ChunkRejected.Types.Reason.WrongOffset, chunk.Offset,
                        $"chunk starts at {chunk.Offset}; send from {_received}", token);
                    continue;
                }

                if (chunk.Offset + data.Length > session.SizeBytes)
                {
                    EdgeErrors.InvalidArgument("chunk.data", $"chunk ends at {chunk.Offset + data.Length}, past the declared size {session.SizeBytes}");
                }

                // The whole chunk is checked, also the part the gateway already holds: a CRC32C covers the chunk as sent.
                if (Crc32C.Compute(data) != chunk.Crc32C)
                {
                    await RefuseAsync(ChunkRejected.Types.Reason.Crc32CMismatch, chunk.Offset,
                        "the chunk's CRC32C does not match its data; resend it", token);
                    continue;
                }

                if (chunk.Offset < _received)
                {
                    var held = (int)Math.Min(data.Length, _received - chunk.Offset);
                    owner._metrics.BytesAlreadyHeld(held);
                    if (held == data.Length)
                    {
                        // Nothing new: say how far the gateway is (once durable; bytes not yet synced are acknowledged
                        // by the next sync).
                        if (chunk.Offset + data.Length <= _committed)
                        {
                            await responses.WriteAsync(new UploadResponse { Ack = new ChunkAck { CommittedOffset = _committed } }, token);
                        }

                        continue;
                    }

                    // Only the bytes past what the gateway holds are kept; the held ones are never overwritten.
                    data = data[held..];
                }

                RandomAccess.Write(segment.SafeFileHandle, data, _received - segmentStart);
                _hash.AppendData(data);
                _received += data.Length;
                owner._metrics.BytesReceived(data.Length);

                if (_received == session.SizeBytes)
                {
                    await SyncAsync(segment, token);
                    return;
                }

                if (_received - _committed >= _options.SyncBatchBytes)
                {
                    await SyncAsync(segment, token);
                }
            }
        }

        private async Task RefuseAsync(ChunkRejected.Types.Reason reason, long offset, string message, CancellationToken token)
        {
            owner._metrics.ChunkRefused(reason.ToString());
            UploadLog.ChunkRefused(owner._logger, session.UploadId, offset, message);
            await responses.WriteAsync(new UploadResponse
            {
                Rejected = new ChunkRejected { Reason = reason, Offset = offset, ExpectedOffset = _received, Message = message },
            }, token);
        }

        /// <summary>fsync, then record the offset (fenced by epoch), then acknowledge it.</summary>
        private async Task SyncAsync(FileStream segment, CancellationToken token)
        {
            if (_received == _committed)
            {
                return;
            }

            var started = Stopwatch.GetTimestamp();
            segment.Flush(flushToDisk: true);
            var now = owner._timeProvider.GetUtcNow();
            if (!await owner._sessions.TryCommitAsync(session, _received, now, now + _options.WriterLease, token))
            {
                UploadLog.TakenOver(owner._logger, session.UploadId, session.Epoch);
                EdgeErrors.Aborted($"Upload {session.UploadId} was taken over by a newer stream.");
            }

            _committed = _received;
            owner._metrics.Synced(Stopwatch.GetElapsedTime(started));
            await responses.WriteAsync(new UploadResponse { Ack = new ChunkAck { CommittedOffset = _committed } }, token);
        }

        /// <summary>After the stream broke: keep the bytes that arrived intact, so the resume sends less again.</summary>
        private async Task SaveProgressAsync(FileStream segment)
        {
            if (_received == _committed || _completed)
            {
                return;
            }

            try
            {
                segment.Flush(flushToDisk: true);
                var now = owner._timeProvider.GetUtcNow();
                if (await owner._sessions.TryCommitAsync(session, _received, now, now, CancellationToken.None))
                {
                    _committed = _received;
                }
            }
            catch (IOException)
            {
                // The last acknowledged offset still stands.
            }
        }

        private async Task CompleteAsync(CancellationToken token)
        {
            var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
            if (actual != session.Sha256)
            {
                UploadLog.DigestMismatch(owner._logger, session.UploadId, session.Sha256, actual);
                await DiscardAsync();
                EdgeErrors.DataLoss($"The received bytes have SHA-256 {actual}, not the declared {session.Sha256}; the upload was discarded, start it again.");
            }

            var work = owner._blobs.CreateWorkDirectory();
            try
            {
                var assembled = owner._staging.Assemble(session with { CommittedOffset = session.SizeBytes }, work);
                ProcessedPhoto processed;
                var handedOver = owner._timeProvider.GetTimestamp();
                try
                {
                    processed = await owner._photos.ProcessAsync(
                        new PhotoSource(assembled, session.SizeBytes, session.Sha256, session.ContentType, work), token);
                }
                catch (PhotoRejectedException e)
                {
                    owner._metrics.PhotoRejected(e.Reason, owner._timeProvider.GetElapsedTime(handedOver));
                    UploadLog.PhotoRejected(owner._logger, session.UploadId, e.Message);
                    await DiscardAsync();
                    EdgeErrors.InvalidArgument(e.Message);
                    throw;
                }
                catch (PhotoPipelineBusyException e)
                {
                    // The bytes stay staged and committed: the retry goes straight to this step.
                    owner._metrics.PhotoBusy();
                    EdgeErrors.ResourceExhausted(e.Message, e.RetryAfter);
                    throw;
                }

                if (processed.Report is { } photo)
                {
                    owner._metrics.PhotoProcessed(photo, owner._timeProvider.GetElapsedTime(handedOver));
                }

                var blob = Store(processed, assembled);
                blob = await owner._blobIndex.PutAsync(blob, token);
                if (!await owner._sessions.TryCompleteAsync(session, blob, owner._timeProvider.GetUtcNow(), token))
                {
                    EdgeErrors.Aborted($"Upload {session.UploadId} was taken over by a newer stream.");
                }

                _completed = true;
                owner._staging.Delete(session.UploadId);
                owner._metrics.UploadCompleted();
                UploadLog.Completed(owner._logger, session.UploadId, session.DeviceId, blob.StoredSha256, blob.StoredSizeBytes);
                await responses.WriteAsync(new UploadResponse { Completed = new UploadCompleted { Blob = blob } }, token);
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        }

        private StoredBlob Store(ProcessedPhoto processed, string assembled)
        {
            // Unchanged bytes were verified against the device's digest already.
            var storedSha = processed.StoredPath == assembled ? session.Sha256 : BlobStore.ComputeSha256(processed.StoredPath);
            var storedSize = new FileInfo(processed.StoredPath).Length;
            var report = processed.Report;
            if (processed.ThumbnailPath is not null && report is not null)
            {
                var thumbnailSha = BlobStore.ComputeSha256(processed.ThumbnailPath);
                owner._blobs.Import(processed.ThumbnailPath, thumbnailSha);
                report.ThumbnailSha256 = thumbnailSha;
            }

            owner._blobs.Import(processed.StoredPath, storedSha);
            var blob = new StoredBlob
            {
                Sha256 = session.Sha256,
                StoredSha256 = storedSha,
                StoredSizeBytes = storedSize,
                ContentType = processed.ContentType,
            };
            if (report is not null)
            {
                blob.Photo = report;
            }

            return blob;
        }

        private async Task DiscardAsync()
        {
            _completed = true;
            await owner._sessions.DiscardAsync(session, CancellationToken.None);
            owner._staging.Delete(session.UploadId);
        }
    }
}

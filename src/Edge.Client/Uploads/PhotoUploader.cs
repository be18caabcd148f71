using Edge.Shared;
using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Edge.Client.Connection;
using Edge.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Edge.Client.Uploads;

/// <summary>
/// Drives <c>edge.v1.Uploads</c> as docs/protocol.md describes: asks whether the gateway has the photo, then streams
/// it in CRC32C-checked chunks, resuming from the gateway's committed offset after every failure a retry can fix.
/// </summary>
internal sealed class PhotoUploader(GatewayConnection connection, ChunkSizer sizer, WindowSizer windows, EdgeClientOptions options, string installationId)
{
    // Set when an acknowledgement arrives; read and cleared when an attempt fails. Per uploader, so with uploads in
    // parallel one upload's progress can spare another a backoff: harmless, the link was carrying bytes.
    private int _progressed;

    // The largest chunk the gateway said it takes, from its last started answer.
    private int _gatewayMaxChunk = int.MaxValue;

    public async Task<UploadedPhoto> UploadAsync(PhotoFile photo, IProgress<UploadProgress>? progress, int maxAttempts, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        var uploadId = UploadId(photo.Sha256, fresh: false);
        var checkedMissing = false;

        // Where the next stream starts sending, before the gateway's started answer says where it really continues:
        // the last offset the gateway acknowledged to this device.
        long resumeFrom = 0;
        var restartedAfterDataLoss = false;
        var renamed = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (!checkedMissing)
                {
                    // Both questions in one round trip: is the photo needed, and how much of it does the gateway hold
                    // (an earlier run of the app may have sent part of it).
                    var missing = IsMissingAsync(photo.Sha256, cancellationToken);
                    var committed = CommittedOffsetAsync(uploadId, cancellationToken);
                    await Task.WhenAll(missing, committed).ConfigureAwait(false);
                    if (!await missing.ConfigureAwait(false))
                    {
                        progress?.Report(new UploadProgress(photo.Size, photo.Size, attempt));
                        return new UploadedPhoto { Sha256 = photo.Sha256, AlreadyStored = true };
                    }

                    resumeFrom = await committed.ConfigureAwait(false);
                    checkedMissing = true;
                }

                var window = new SendWindow(resumeFrom, windows, options.TimeProvider);
                try
                {
                    return await StreamAsync(photo, uploadId, window, attempt, progress, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    resumeFrom = window.AcknowledgedOffset;
                }
            }
            catch (RpcException e) when (PhotoRejectedException.From(e) is { } rejected)
            {
                // The gateway will never take this photo: say why, in a type the app can act on.
                throw rejected;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DataLoss && !restartedAfterDataLoss)
            {
                // The bytes that arrived do not hash to the digest: the file changed under us, or was misread. The gateway
                // discarded them; read the file again and start over from zero, once.
                restartedAfterDataLoss = true;
                photo = await photo.ReloadAsync(cancellationToken).ConfigureAwait(false);
                uploadId = UploadId(photo.Sha256, fresh: false);
                resumeFrom = 0;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound && !renamed)
            {
                // The id was taken for another object, or expired under us: a fresh id starts clean.
                renamed = true;
                uploadId = UploadId(photo.Sha256, fresh: true);
                resumeFrom = 0;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                // The caller stopped it: say so as .NET does, not as the transport saw it.
                throw new OperationCanceledException("The upload was cancelled.", e, cancellationToken);
            }
            catch (Exception e) when (attempt < maxAttempts && TransientErrors.IsTransient(e, cancellationToken))
            {
                // A link that carried bytes and then broke is a cut, not a sign that the gateway is struggling: retry at
                // the quick pace for a few seconds (ReconnectPacing). Backoff grows only while attempts make no progress.
                if (Interlocked.Exchange(ref _progressed, 0) == 1)
                {
                    backoff.Reset();
                    if (TransientErrors.IsCut(e))
                    {
                        connection.Pacing.OnCut();
                    }
                }

                await connection.DelayAsync(connection.Pacing.Next(backoff, e), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Stable across retries and app restarts (the installation id is kept in the outbox), unique per device, and the
    /// same for the same photo, so a restarted app resumes the upload the last run started.
    /// </summary>
    private string UploadId(string sha256, bool fresh)
    {
        var seed = fresh ? $"{installationId}:{sha256}:{Guid.NewGuid():N}" : $"{installationId}:{sha256}";
        return "u-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..40];
    }

    private async Task<bool> IsMissingAsync(string sha256, CancellationToken cancellationToken)
    {
        var client = new V1.Uploads.UploadsClient(connection.Channel);
        var response = await client.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { sha256 } },
            deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.MissingSha256.Contains(sha256);
    }

    private async Task<long> CommittedOffsetAsync(string uploadId, CancellationToken cancellationToken)
    {
        var client = new V1.Uploads.UploadsClient(connection.Channel);
        try
        {
            var response = await client.QueryUploadAsync(new QueryUploadRequest { UploadId = uploadId },
                deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.State == QueryUploadResponse.Types.State.InProgress ? response.CommittedOffset : 0;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.Unimplemented)
        {
            // A new upload (or a gateway that cannot say): the stream's started answer says where to continue.
            return 0;
        }
    }

    private DateTime Deadline() => DateTime.UtcNow + options.AttemptTimeout;

    /// <summary>
    /// One stream: the start, and chunks from the window's offset at once, without waiting for the gateway's started
    /// answer (a round trip on a cellular link); the answer then moves the window to where the gateway continues.
    /// Chunks stay within the unacknowledged window until the completion.
    /// </summary>
    private async Task<UploadedPhoto> StreamAsync(PhotoFile photo, string uploadId, SendWindow window, int attempt, IProgress<UploadProgress>? progress,
        CancellationToken cancellationToken)
    {
        var client = new V1.Uploads.UploadsClient(connection.Channel);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = client.Upload(deadline: Deadline(), cancellationToken: stop.Token);
        await call.RequestStream.WriteAsync(new UploadRequest
        {
            Start = new UploadStart { UploadId = uploadId, Sha256 = photo.Sha256, SizeBytes = photo.Size, ContentType = photo.ContentType },
        }, stop.Token).ConfigureAwait(false);

        var responses = ReadResponsesAsync(call.ResponseStream, window, options.TimeProvider.GetTimestamp(), photo.Size, attempt, progress, stop.Token);
        try
        {
            await SendChunksAsync(call.RequestStream, photo, window, responses, stop.Token).ConfigureAwait(false);
        }
        catch (Exception) when (!responses.IsCompletedSuccessfully)
        {
            // The gateway ended the call while we were sending: its status says why, so let that be the error.
            await stop.CancelAsync().ConfigureAwait(false);
            await responses.ConfigureAwait(false);
            throw;
        }
        catch (Exception) when (responses.IsCompletedSuccessfully)
        {
            // The gateway answered before we were done writing (the blob was there already): its answer stands.
        }

        var (blob, alreadyStored) = await responses.ConfigureAwait(false);
        return ToUploadedPhoto(blob, alreadyStored);
    }

    private async Task SendChunksAsync(IClientStreamWriter<UploadRequest> requests, PhotoFile photo, SendWindow window, Task responses, CancellationToken cancellationToken)
    {
        using var content = photo.Open();
        var buffer = ArrayPool<byte>.Shared.Rent(options.MaxChunkBytes);
        try
        {
            while (!responses.IsCompleted)
            {
                var chunkSize = Math.Min(Math.Min(Volatile.Read(ref _gatewayMaxChunk), options.MaxChunkBytes), sizer.Current);
                var (offset, length, wait) = window.NextChunk(photo.Size, chunkSize);
                if (wait is not null)
                {
                    await Task.WhenAny(wait, responses).ConfigureAwait(false);
                    continue;
                }

                if (offset < 0)
                {
                    break;
                }

                var read = await content.ReadAsync(buffer.AsMemory(0, length), offset, cancellationToken).ConfigureAwait(false);
                if (read != length)
                {
                    throw new IOException($"The photo {photo.Path} is shorter than when it was hashed.");
                }

                var data = buffer.AsSpan(0, length);
                if (!window.Sent(offset, length))
                {
                    continue; // the gateway moved the stream while the chunk was read
                }

                await requests.WriteAsync(new UploadRequest
                {
                    Chunk = new UploadChunk { Offset = offset, Data = ByteString.CopyFrom(data), Crc32C = Crc32C.Compute(data) },
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!responses.IsCompleted)
        {
            await requests.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task<(StoredBlob Blob, bool AlreadyStored)> ReadResponsesAsync(IAsyncStreamReader<UploadResponse> responses, SendWindow window,
        long startSentAt, long size, int attempt, IProgress<UploadProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            if (!await responses.MoveNext(cancellationToken).ConfigureAwait(false) || responses.Current.Started is not { } started)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "The upload stream ended before the gateway answered the start."));
            }

            if (started.BlobExists)
            {
                progress?.Report(new UploadProgress(size, size, attempt));
                return (started.Blob, true);
            }

            windows.OnRoundTrip(options.TimeProvider.GetElapsedTime(startSentAt));
            if (started.MaxChunkBytes > 0)
            {
                Volatile.Write(ref _gatewayMaxChunk, started.MaxChunkBytes);
            }

            window.Started(started.CommittedOffset);
            progress?.Report(new UploadProgress(started.CommittedOffset, size, attempt));

            StoredBlob? blob = null;
            while (await responses.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var response = responses.Current;
                switch (response.KindCase)
                {
                    case UploadResponse.KindOneofCase.Ack:
                        Volatile.Write(ref _progressed, 1);
                        var (bytes, latency) = window.Acknowledged(response.Ack.CommittedOffset);
                        windows.OnAcknowledged(bytes, latency);
                        sizer.Follow(windows.DeliveryRate);
                        progress?.Report(new UploadProgress(response.Ack.CommittedOffset, size, attempt));
                        break;
                    case UploadResponse.KindOneofCase.Rejected:
                        window.Rejected(response.Rejected);
                        break;
                    case UploadResponse.KindOneofCase.Completed:
                        blob = response.Completed.Blob;
                        window.Complete();
                        progress?.Report(new UploadProgress(size, size, attempt));
                        break;
                }
            }

            return (blob ?? throw new RpcException(new Status(StatusCode.Unavailable, "The upload stream ended before the upload completed.")), false);
        }
        finally
        {
            window.Complete();
        }
    }

    private static UploadedPhoto ToUploadedPhoto(StoredBlob blob, bool alreadyStored) => new()
    {
        Sha256 = blob.Sha256,
        StoredSha256 = blob.StoredSha256,
        StoredSizeBytes = blob.StoredSizeBytes,
        ContentType = blob.ContentType,
        AlreadyStored = alreadyStored,
        Report = blob.Photo is { } photo
            ? new PhotoReport
            {
                Width = photo.Width,
                Height = photo.Height,
                Format = photo.Format,
                Verdict = (PhotoVerdict)photo.Verdict,
                Brightness = photo.Brightness,
                Sharpness = photo.Sharpness,
                MetadataStripped = photo.MetadataStripped,
            }
            : null,
    };
}

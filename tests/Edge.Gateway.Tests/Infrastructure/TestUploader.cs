using Edge.Shared;
using System.Security.Cryptography;
using Edge.Gateway.Uploads;
using Edge.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>What one upload stream saw.</summary>
public sealed record UploadOutcome(
    UploadStarted Started,
    IReadOnlyList<UploadResponse> Responses,
    UploadCompleted? Completed,
    bool WasCut)
{
    public long LastAck => Responses.Where(r => r.Ack is not null).Select(r => r.Ack.CommittedOffset).DefaultIfEmpty(Started.CommittedOffset).Max();

    public IEnumerable<ChunkRejected> Rejections => Responses.Where(r => r.Rejected is not null).Select(r => r.Rejected);
}

/// <summary>A plain client of edge.v1.Uploads as a device would drive it, with ways to misbehave.</summary>
public static class TestUploader
{
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static UploadRequest Start(string uploadId, byte[] data, string? sha = null, long? size = null)
        => new()
        {
            Start = new UploadStart
            {
                UploadId = uploadId,
                Sha256 = sha ?? Sha256(data),
                SizeBytes = size ?? data.Length,
                ContentType = "application/octet-stream",
            },
        };

    public static UploadRequest Chunk(byte[] data, long offset, int length, uint? crc = null)
    {
        var slice = data.AsSpan((int)offset, length);
        return new UploadRequest
        {
            Chunk = new UploadChunk { Offset = offset, Data = ByteString.CopyFrom(slice), Crc32C = crc ?? Crc32C.Compute(slice) },
        };
    }

    /// <summary>
    /// One stream: start, then chunks from the committed offset on. With <paramref name="cutAt"/> the client aborts the
    /// stream (RST_STREAM) once it has sent bytes up to that offset, as a lost signal would.
    /// </summary>
    public static async Task<UploadOutcome> UploadAsync(
        V1.Uploads.UploadsClient client,
        string uploadId,
        byte[] data,
        int chunkSize = 64 * 1024,
        long? cutAt = null,
        Func<long, UploadRequest, UploadRequest>? tamper = null,
        string? declaredSha = null)
    {
        using var cancel = new CancellationTokenSource();
        using var call = client.Upload(cancellationToken: cancel.Token);
        await call.RequestStream.WriteAsync(Start(uploadId, data, declaredSha));
        if (!await call.ResponseStream.MoveNext())
        {
            throw new InvalidOperationException("The stream ended without an UploadStarted.");
        }

        var started = call.ResponseStream.Current.Started ?? throw new InvalidOperationException("The first response was not UploadStarted.");
        if (started.BlobExists)
        {
            return new UploadOutcome(started, [], null, WasCut: false);
        }

        var responses = new List<UploadResponse>();
        var reader = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(cancel.Token))
            {
                lock (responses)
                {
                    responses.Add(call.ResponseStream.Current);
                }
            }
        });

        for (var offset = started.CommittedOffset; offset < data.Length; offset += chunkSize)
        {
            var length = (int)Math.Min(chunkSize, data.Length - offset);
            if (cutAt is { } cut && offset + length > cut)
            {
                // Give the gateway a moment to take in what was sent (until it acknowledges some of it, when anything
                // was sent: an upload that never received a byte is dropped by the gateway), then drop the stream.
                await Task.Delay(20);
                for (var waited = 0; offset > started.CommittedOffset && waited < 250 && !HasAck(responses, started.CommittedOffset); waited++)
                {
                    await Task.Delay(20);
                }

                await cancel.CancelAsync();
                try
                {
                    await reader;
                }
                catch (RpcException)
                {
                    // Cancelled, or the aborted stream surfaced first as an I/O error: either way the stream is gone.
                }
                catch (OperationCanceledException)
                {
                }

                lock (responses)
                {
                    return new UploadOutcome(started, responses.ToList(), null, WasCut: true);
                }
            }

            var request = Chunk(data, offset, length);
            try
            {
                await call.RequestStream.WriteAsync(tamper?.Invoke(offset, request) ?? request);
            }
            catch (Exception) when (!reader.IsCompletedSuccessfully)
            {
                // The server ended the call while we were sending: its status says why.
                await reader;
                throw;
            }
        }

        await call.RequestStream.CompleteAsync();
        await reader;
        var completed = responses.LastOrDefault(r => r.Completed is not null)?.Completed;
        return new UploadOutcome(started, responses, completed, WasCut: false);
    }

    private static bool HasAck(List<UploadResponse> responses, long after)
    {
        lock (responses)
        {
            return responses.Any(r => r.Ack is not null && r.Ack.CommittedOffset > after);
        }
    }

    /// <summary>Uploads to the end, resuming after each failure that a retry can fix.</summary>
    public static async Task<UploadCompleted> UploadToEndAsync(V1.Uploads.UploadsClient client, string uploadId, byte[] data, int attempts = 20)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var outcome = await UploadAsync(client, uploadId, data);
                if (outcome.Started.BlobExists)
                {
                    return new UploadCompleted { Blob = outcome.Started.Blob };
                }

                if (outcome.Completed is not null)
                {
                    return outcome.Completed;
                }
            }
            catch (RpcException e) when (attempt < attempts && e.StatusCode is StatusCode.Unavailable or StatusCode.Aborted or StatusCode.Cancelled or StatusCode.Internal)
            {
                await Task.Delay(200);
            }
        }
    }
}

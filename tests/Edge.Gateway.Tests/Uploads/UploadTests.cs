using Edge.Gateway.Blobs;
using Edge.Gateway.Imaging;
using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Infrastructure;
using Edge.Gateway.Uploads;
using Edge.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Edge.Gateway.Tests.Infrastructure.TestUploader;
namespace Edge.Gateway.Tests.Uploads;

/// <summary>The upload path over real HTTP/2, run once per state mode: whole, resumed, taken over, deduped, corrupt chunks.</summary>
public abstract class UploadTests : UploadTestBase
{
    [Fact]
    public async Task Upload_WholeObject_StoresExactBytesUnderItsDigest()
    {
        var host = await StartAsync();
        var data = RandomBytes(700_000, seed: 1);

        var outcome = await UploadAsync(Client(host), "whole-1", data);

        Assert.NotNull(outcome.Completed);
        Assert.Equal(Sha256(data), outcome.Completed.Blob.Sha256);
        Assert.Equal(Sha256(data), outcome.Completed.Blob.StoredSha256);
        Assert.Equal(data, StoredBytes(host, outcome.Completed.Blob.StoredSha256));
        Assert.Equal(data.Length, outcome.LastAck);
    }

    [Fact]
    public async Task Upload_ResumedAfterCutsAtRandomOffsets_StoresExactBytes()
    {
        var host = await StartAsync();
        var client = Client(host);
        var data = RandomBytes(2_500_000, seed: 2);
        var random = new Random(42);
        var resumedFrom = new List<long>();

        UploadCompleted? completed = null;
        for (var attempt = 0; attempt < 40 && completed is null; attempt++)
        {
            var query = attempt == 0 ? 0 : (await client.QueryUploadAsync(new QueryUploadRequest { UploadId = "cuts-1" })).CommittedOffset;
            long? cut = attempt < 8 ? query + random.Next(1, 400_000) : null;
            var outcome = await UploadAsync(client, "cuts-1", data, chunkSize: 32 * 1024, cutAt: cut);
            resumedFrom.Add(outcome.Started.CommittedOffset);
            // The gateway may still be saving what the cut stream had sent when we asked: never less than that.
            Assert.True(outcome.Started.CommittedOffset >= query, $"resumed at {outcome.Started.CommittedOffset} < {query}");
            completed = outcome.Completed;
        }

        Assert.NotNull(completed);
        Assert.Equal(data, StoredBytes(host, completed.Blob.StoredSha256));
        // Every resume started past the previous one: bytes already durable were never asked for again.
        Assert.Equal(resumedFrom.OrderBy(o => o), resumedFrom);
        Assert.True(resumedFrom.Distinct().Count() >= 3, $"resumed from {string.Join(",", resumedFrom)}");
    }

    [Fact]
    public async Task Upload_HalfOpenWriter_IsTakenOverAndEndsAborted()
    {
        var host = await StartAsync();
        var client = Client(host);
        var data = RandomBytes(600_000, seed: 3);

        // The old writer sends some bytes, then goes silent with its stream still open (a half-open connection).
        using var old = client.Upload();
        await old.RequestStream.WriteAsync(Start("takeover-1", data));
        Assert.True(await old.ResponseStream.MoveNext());
        await old.RequestStream.WriteAsync(Chunk(data, 0, 100_000));
        Assert.True(await old.ResponseStream.MoveNext());
        Assert.Equal(100_000, old.ResponseStream.Current.Ack.CommittedOffset);

        var outcome = await UploadAsync(client, "takeover-1", data);

        Assert.True(outcome.Started.TookOver);
        Assert.Equal(100_000, outcome.Started.CommittedOffset);
        Assert.NotNull(outcome.Completed);
        Assert.Equal(data, StoredBytes(host, outcome.Completed.Blob.StoredSha256));
        var aborted = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await old.ResponseStream.MoveNext())
            {
            }
        });
        Assert.Equal(StatusCode.Aborted, aborted.StatusCode);
    }

    [Fact]
    public async Task Upload_SameBytesFromTwoDevicesAtOnce_OneBlobTwoAnswers()
    {
        var host = await StartAsync();
        var data = RandomBytes(1_500_000, seed: 4);

        var results = await Task.WhenAll(
            UploadAsync(Client(host, "device-a"), "same-a", data, chunkSize: 16 * 1024),
            UploadAsync(Client(host, "device-b"), "same-b", data, chunkSize: 16 * 1024));

        foreach (var result in results)
        {
            var blob = result.Completed?.Blob ?? result.Started.Blob;
            Assert.Equal(Sha256(data), blob.StoredSha256);
        }

        var blobFiles = Directory.GetFiles(Path.Combine(host.DataDirectory, "blobs"), "*", SearchOption.AllDirectories);
        Assert.Single(blobFiles);
        Assert.Equal(data, File.ReadAllBytes(blobFiles[0]));
    }

    [Fact]
    public async Task Upload_OfADigestTheDeviceHolds_AnswersAtOnceWithTheBlob()
    {
        var host = await StartAsync();
        var data = RandomBytes(300_000, seed: 5);
        await UploadAsync(Client(host), "first", data);

        var again = await UploadAsync(Client(host), "second", data);
        var missing = await Client(host).FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { Sha256(data), Sha256([1, 2, 3]) } });
        var missingForOther = await Client(host, "device-2").FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { Sha256(data) } });

        Assert.True(again.Started.BlobExists);
        Assert.Equal(Sha256(data), again.Started.Blob.StoredSha256);
        Assert.Empty(again.Responses);
        Assert.Equal([Sha256([1, 2, 3])], missing.MissingSha256);
        Assert.Equal([Sha256(data)], missingForOther.MissingSha256);
    }

    [Fact]
    public async Task Upload_CorruptChunk_IsRefusedAndResentWithoutLosingTheStream()
    {
        var host = await StartAsync();
        var data = RandomBytes(400_000, seed: 6);
        var corrupted = false;

        var outcome = await UploadAsync(Client(host), "crc-1", data, tamper: (offset, request) =>
        {
            if (offset != 128 * 1024 || corrupted)
            {
                return request;
            }

            corrupted = true;
            var bad = request.Clone();
            bad.Chunk.Crc32C ^= 0xDEADBEEF;
            return bad;
        });

        // The corrupt chunk is refused; so is every later chunk of this naive client (it did not go back), each
        // naming the offset to resend from. Nothing after the bad chunk was taken, and the stream stayed open.
        var rejections = outcome.Rejections.ToList();
        Assert.Equal(ChunkRejected.Types.Reason.Crc32CMismatch, rejections[0].Reason);
        Assert.All(rejections.Skip(1), r => Assert.Equal(ChunkRejected.Types.Reason.WrongOffset, r.Reason));
        Assert.All(rejections, r => Assert.Equal(128 * 1024, r.ExpectedOffset));
        Assert.Null(outcome.Completed);
        Assert.Equal(128 * 1024, outcome.LastAck);

        var resumed = await UploadAsync(Client(host), "crc-1", data);
        Assert.Equal(128 * 1024, resumed.Started.CommittedOffset);
        Assert.NotNull(resumed.Completed);
        Assert.Equal(data, StoredBytes(host, resumed.Completed.Blob.StoredSha256));
    }

    [Fact]
    public async Task Upload_ChunkAtWrongOffset_IsRefusedWithTheOffsetToUse()
    {
        var host = await StartAsync();
        var data = RandomBytes(200_000, seed: 7);
        using var call = Client(host).Upload();
        await call.RequestStream.WriteAsync(Start("offset-1", data));
        Assert.True(await call.ResponseStream.MoveNext());

        await call.RequestStream.WriteAsync(Chunk(data, 65_536, 1000));
        Assert.True(await call.ResponseStream.MoveNext());
        var rejected = call.ResponseStream.Current.Rejected;
        await call.RequestStream.WriteAsync(Chunk(data, 0, data.Length));
        Assert.True(await call.ResponseStream.MoveNext());
        var ack = call.ResponseStream.Current.Ack;
        Assert.True(await call.ResponseStream.MoveNext());
        var completed = call.ResponseStream.Current.Completed;

        Assert.Equal(ChunkRejected.Types.Reason.WrongOffset, rejected.Reason);
        Assert.Equal(0, rejected.ExpectedOffset);
        Assert.Equal(data.Length, ack.CommittedOffset);
        Assert.Equal(data, StoredBytes(host, completed.Blob.StoredSha256));
    }

    [Fact]
    public async Task Upload_ResumeSendingFromAnOlderOffsetBeforeStarted_KeepsOnlyNewBytes()
    {
        var (host, client, data) = await PartlyCommittedAsync("overlap-1", 400_000, 200_000, seed: 21);

        // The resume does not wait for the started answer: chunks from the last offset it saw acknowledged (100,000)
        // follow the start at once. The first lies wholly below what the gateway holds, the second straddles it.
        using var call = client.Upload();
        await call.RequestStream.WriteAsync(Start("overlap-1", data));
        await call.RequestStream.WriteAsync(Chunk(data, 100_000, 50_000));
        await call.RequestStream.WriteAsync(Chunk(data, 150_000, 100_000));
        await call.RequestStream.WriteAsync(Chunk(data, 250_000, 150_000));
        var responses = await ReadToEndAsync(call);

        Assert.Equal(200_000, responses[0].Started.CommittedOffset);
        // The chunk with nothing new is acknowledged with what the gateway holds, not refused.
        Assert.Equal(200_000, responses[1].Ack.CommittedOffset);
        Assert.DoesNotContain(responses, r => r.Rejected is not null);
        AssertCompletedWith(host, responses, data);
    }

    [Fact]
    public async Task Upload_OverlappingChunkDifferingInHeldBytes_NeverOverwritesThem()
    {
        var (host, client, data) = await PartlyCommittedAsync("overlap-2", 300_000, 100_000, seed: 22);

        // A chunk over [50,000, 150,000) whose first half differs from the bytes the gateway holds, with a CRC32C that
        // matches what it carries: the held bytes stay as they are, the new half is kept.
        var altered = (byte[])data.Clone();
        altered.AsSpan(50_000, 50_000).Fill(0xAB);
        using var call = client.Upload();
        await call.RequestStream.WriteAsync(Start("overlap-2", data));
        await call.RequestStream.WriteAsync(Chunk(altered, 50_000, 100_000));
        await call.RequestStream.WriteAsync(Chunk(data, 150_000, 150_000));
        var responses = await ReadToEndAsync(call);

        AssertCompletedWith(host, responses, data);
    }

    [Fact]
    public async Task Upload_OverlappingChunkWithBadCrc_IsRefusedAndKeepsNothing()
    {
        var (host, client, data) = await PartlyCommittedAsync("overlap-3", 300_000, 100_000, seed: 23);

        // Corrupted only in the part the gateway already holds: the CRC32C covers the whole chunk, so it is refused.
        var corrupt = Chunk(data, 50_000, 100_000);
        var bytes = corrupt.Chunk.Data.ToByteArray();
        bytes[10] ^= 0x01;
        corrupt.Chunk.Data = Google.Protobuf.ByteString.CopyFrom(bytes);
        using var call = client.Upload();
        await call.RequestStream.WriteAsync(Start("overlap-3", data));
        Assert.True(await call.ResponseStream.MoveNext());
        await call.RequestStream.WriteAsync(corrupt);
        Assert.True(await call.ResponseStream.MoveNext());
        var rejected = call.ResponseStream.Current.Rejected;
        await call.RequestStream.WriteAsync(Chunk(data, 100_000, 200_000));
        var responses = await ReadToEndAsync(call);

        Assert.Equal(ChunkRejected.Types.Reason.Crc32CMismatch, rejected.Reason);
        Assert.Equal(100_000, rejected.ExpectedOffset);
        AssertCompletedWith(host, responses, data);
    }

    /// <summary>A gateway holding the first <paramref name="committed"/> bytes of an upload, made durable by one stream that then ended.</summary>
    private async Task<(GatewayHost Host, V1.Uploads.UploadsClient Client, byte[] Data)> PartlyCommittedAsync(string uploadId, int size, int committed, int seed)
    {
        var host = await StartAsync();
        var client = Client(host);
        var data = RandomBytes(size, seed);
        await CommitAsync(client, uploadId, data, committed);
        return (host, client, data);
    }

    private static void AssertCompletedWith(GatewayHost host, List<UploadResponse> responses, byte[] data)
    {
        var completed = responses[^1].Completed;
        Assert.NotNull(completed);
        Assert.Equal(data, StoredBytes(host, completed.Blob.StoredSha256));
    }

    /// <summary>One stream that makes the first <paramref name="length"/> bytes durable, then ends.</summary>
    private static async Task CommitAsync(V1.Uploads.UploadsClient client, string uploadId, byte[] data, int length)
    {
        using var call = client.Upload();
        await call.RequestStream.WriteAsync(Start(uploadId, data));
        Assert.True(await call.ResponseStream.MoveNext());
        await call.RequestStream.WriteAsync(Chunk(data, 0, length));
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(length, call.ResponseStream.Current.Ack.CommittedOffset);
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext())
        {
        }
    }

    private static async Task<List<UploadResponse>> ReadToEndAsync(AsyncDuplexStreamingCall<UploadRequest, UploadResponse> call)
    {
        await call.RequestStream.CompleteAsync();
        var responses = new List<UploadResponse>();
        while (await call.ResponseStream.MoveNext())
        {
            responses.Add(call.ResponseStream.Current);
        }

        return responses;
    }
}

public sealed class EmbeddedUploadTests : UploadTests
{
    protected override string? Redis => null;
}

[Collection(RedisCollection.Name)]
public sealed class RedisUploadTests(RedisServer redis) : UploadTests
{
    protected override string? Redis => redis.ConnectionString;
}

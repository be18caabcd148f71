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

/// <summary>
/// The upload path over real HTTP/2, run once per state mode. These tests are about transport and state, so photos
/// pass through the pipeline unchanged: the stored bytes must equal the sent bytes exactly.
/// </summary>
public abstract class UploadTests : IAsyncLifetime
{
    private readonly List<GatewayHost> _hosts = [];

    protected abstract string? Redis { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    protected async Task<GatewayHost> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var host = await GatewayHost.StartAsync(redis: Redis, settings: settings, services: s =>
        {
            s.AddSingleton<IPhotoPipeline, PassthroughPhotoPipeline>();
            services?.Invoke(s);
        });
        _hosts.Add(host);
        return host;
    }

    private static V1.Uploads.UploadsClient Client(GatewayHost host, string device = "device-1") => new(host.Channel(device));

    private static byte[] StoredBytes(GatewayHost host, string sha256)
        => File.ReadAllBytes(host.Services.GetRequiredService<BlobStore>().PathFor(sha256));

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

    [Fact]
    public async Task Upload_WrongFinalDigest_EndsDataLossAndDiscardsTheBytes()
    {
        var host = await StartAsync();
        var client = Client(host);
        var data = RandomBytes(150_000, seed: 8);
        var declared = Sha256(RandomBytes(10, seed: 9));

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, "digest-1", data, declaredSha: declared));
        var query = await Assert.ThrowsAsync<RpcException>(async () => await client.QueryUploadAsync(new QueryUploadRequest { UploadId = "digest-1" }));

        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Equal(StatusCode.NotFound, query.StatusCode);
        Assert.False(host.Services.GetRequiredService<BlobStore>().Exists(declared));
        Assert.False(host.Services.GetRequiredService<BlobStore>().Exists(Sha256(data)));
        Assert.False(Directory.Exists(host.Services.GetRequiredService<StagingArea>().FolderFor("digest-1")));
    }

    [Fact]
    public async Task Upload_ObjectOverTheMaximum_IsRefusedWithTheField()
    {
        var host = await StartAsync(new Dictionary<string, string?> { ["Edge:Uploads:MaxObjectBytes"] = "100000" });
        var data = RandomBytes(100_001, seed: 10);

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(Client(host), "big-1", data));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var badRequest = error.GetRpcStatus()!.GetDetail<BadRequest>();
        Assert.Equal("start.size_bytes", Assert.Single(badRequest.FieldViolations).Field);
    }

    [Fact]
    public async Task Upload_ChunkOverOneMebibyte_IsRefused()
    {
        var host = await StartAsync();
        var data = RandomBytes(3_000_000, seed: 11);

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(Client(host), "chunky-1", data, chunkSize: 2 * 1024 * 1024));

        Assert.Contains(error.StatusCode, new[] { StatusCode.InvalidArgument, StatusCode.ResourceExhausted });
        Assert.False(host.Services.GetRequiredService<BlobStore>().Exists(Sha256(data)));
    }

    [Fact]
    public async Task Upload_MoreThanTheDeviceLimitAtOnce_IsRefusedResourceExhausted()
    {
        var host = await StartAsync(new Dictionary<string, string?> { ["Edge:Uploads:MaxConcurrentUploadsPerDevice"] = "2" });
        var client = Client(host);
        var data = RandomBytes(100_000, seed: 12);
        var open = new List<AsyncDuplexStreamingCall<UploadRequest, UploadResponse>>();
        for (var i = 0; i < 2; i++)
        {
            var call = client.Upload();
            await call.RequestStream.WriteAsync(Start($"limit-{i}", RandomBytes(1000, seed: 100 + i)));
            Assert.True(await call.ResponseStream.MoveNext());
            open.Add(call);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, "limit-2", data));
        var otherDevice = await UploadAsync(Client(host, "device-2"), "limit-other", data);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.NotNull(error.GetRpcStatus()!.GetDetail<RetryInfo>());
        Assert.NotNull(otherDevice.Completed);

        // Once one stream ends, its slot is free again.
        open[0].Dispose();
        await Task.Delay(200);
        var later = await UploadAsync(client, "limit-2", RandomBytes(100_000, seed: 120));
        Assert.NotNull(later.Completed);
        open[1].Dispose();
    }

    [Fact]
    public async Task Upload_StagingQuotaExceeded_IsRefusedAndStoresNothing()
    {
        var host = await StartAsync(new Dictionary<string, string?> { ["Edge:Uploads:MaxStagingBytes"] = "150000" });
        var client = Client(host);
        var first = RandomBytes(100_000, seed: 13);
        var second = RandomBytes(100_000, seed: 14);
        var held = await UploadAsync(client, "quota-1", first, cutAt: 50_000);

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, "quota-2", second));

        Assert.True(held.WasCut);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.False(host.Services.GetRequiredService<BlobStore>().Exists(Sha256(second)));
    }

    [Fact]
    public async Task QueryUpload_AfterTheStagingTtl_IsNotFoundAndBytesAreGone()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var host = await StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var client = Client(host);
        var data = RandomBytes(300_000, seed: 15);
        await UploadAsync(client, "expire-1", data, cutAt: 100_000);
        QueryUploadResponse before;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            // The gateway saves what arrived once it notices the stream is gone.
            before = await client.QueryUploadAsync(new QueryUploadRequest { UploadId = "expire-1" });
        }
        while (before.CommittedOffset == 0 && DateTime.UtcNow < deadline && await Task.Delay(20).ContinueWith(_ => true));
        var folder = host.Services.GetRequiredService<StagingArea>().FolderFor("expire-1");
        Assert.True(Directory.Exists(folder));

        clock.Advance(TimeSpan.FromHours(25));
        // Moving the clock also fires the sweeper's own timer; an explicit pass makes the outcome certain.
        await host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<StagingSweeper>().Single().SweepAsync(CancellationToken.None);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.QueryUploadAsync(new QueryUploadRequest { UploadId = "expire-1" }));

        Assert.Equal(QueryUploadResponse.Types.State.InProgress, before.State);
        Assert.True(before.CommittedOffset > 0);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.False(Directory.Exists(folder));
        Assert.Equal(0, await host.Services.GetRequiredService<IUploadSessionStore>().GetReservedStagingBytesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Upload_AnotherDevicesUpload_IsPermissionDenied()
    {
        var host = await StartAsync();
        var data = RandomBytes(200_000, seed: 16);
        await UploadAsync(Client(host, "owner"), "mine-1", data, cutAt: 64 * 1024);
        var intruder = Client(host, "intruder");

        var resume = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(intruder, "mine-1", data));
        var query = await Assert.ThrowsAsync<RpcException>(async () => await intruder.QueryUploadAsync(new QueryUploadRequest { UploadId = "mine-1" }));

        Assert.Equal(StatusCode.PermissionDenied, resume.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, query.StatusCode);
    }

    [Fact]
    public async Task Upload_SameIdForAnotherObject_IsFailedPrecondition()
    {
        var host = await StartAsync();
        var client = Client(host);
        await UploadAsync(client, "reuse-1", RandomBytes(100_000, seed: 17), cutAt: 50_000);

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, "reuse-1", RandomBytes(100_000, seed: 18)));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Fact]
    public async Task Upload_BadStartFields_AreInvalidArgumentWithFieldDetails()
    {
        var host = await StartAsync();
        var data = RandomBytes(1000, seed: 19);

        var badId = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(Client(host), "has space", data));
        var badSha = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(Client(host), "ok-id", data, declaredSha: "ABC"));

        Assert.Equal("upload_id", Assert.Single(badId.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal("start.sha256", Assert.Single(badSha.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
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

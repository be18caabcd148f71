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

/// <summary>Uploads refused, with the status a device acts on and nothing stored, run once per state mode.</summary>
public abstract class UploadRefusalTests : UploadTestBase
{
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
        // One chunk in: an upload that has received a byte keeps its reservation (an empty one gives it back at once).
        var held = await UploadAsync(client, "quota-1", first, cutAt: 70_000);

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
        await UploadAsync(client, "reuse-1", RandomBytes(100_000, seed: 17), cutAt: 70_000);

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

public sealed class EmbeddedUploadRefusalTests : UploadRefusalTests
{
    protected override string? Redis => null;
}

[Collection(RedisCollection.Name)]
public sealed class RedisUploadRefusalTests(RedisServer redis) : UploadRefusalTests
{
    protected override string? Redis => redis.ConnectionString;
}

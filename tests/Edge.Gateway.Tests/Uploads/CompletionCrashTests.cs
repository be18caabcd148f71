using Edge.Gateway.Blobs;
using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Imaging;
using Edge.Gateway.Tests.Infrastructure;
using Edge.Gateway.Uploads;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Edge.Gateway.Tests.Uploads;

/// <summary>
/// An upload's completion interrupted after each of its steps (a fault injected there, as a crash would stop it) is
/// finished by the device's resume or, if the device never comes back, by the sweeper: the photo is stored, recorded
/// and held by the device, its staged bytes are gone and no stored file is left that nothing names. Both state modes.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class CompletionCrashTests(RedisServer redis)
{
    public static TheoryData<CompletionStep, bool> Steps()
    {
        var data = new TheoryData<CompletionStep, bool>();
        foreach (var step in new[] { CompletionStep.Assembled, CompletionStep.Processed, CompletionStep.Stored, CompletionStep.Indexed, CompletionStep.StagingRemoved })
        {
            data.Add(step, false);
            data.Add(step, true);
        }

        return data;
    }

    private async Task<(GatewayHost Host, V1.Uploads.UploadsClient Client, byte[] Photo)> FailOnceAtAsync(CompletionStep step, bool useRedis, string uploadId)
    {
        var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null);
        var faults = host.Services.GetRequiredService<CompletionFaults>();
        var fired = 0;
        faults.OnStep = reached =>
        {
            if (reached == step && Interlocked.Exchange(ref fired, 1) == 0)
            {
                throw new IOException($"injected crash after {step}");
            }
        };
        var client = new V1.Uploads.UploadsClient(host.Channel("device-crash"));
        var photo = TestPhotos.PhoneJpeg(800, 600);

        // The first attempt stops at the step; the device sees the stream fail (a real crash would cut it).
        await Assert.ThrowsAsync<RpcException>(async () => await TestUploader.UploadAsync(client, uploadId, photo));
        Assert.Equal(1, fired);
        return (host, client, photo);
    }

    private static bool Staged(GatewayHost host, string uploadId)
        => Directory.Exists(host.Services.GetRequiredService<StagingArea>().FolderFor(uploadId));

    private static async Task AssertStoredAsync(GatewayHost host, V1.Uploads.UploadsClient client, string uploadId, byte[] photo)
    {
        var digest = TestUploader.Sha256(photo);
        var query = await client.QueryUploadAsync(new QueryUploadRequest { UploadId = uploadId });
        var missing = await client.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { digest } });
        var record = await host.Services.GetRequiredService<IBlobIndex>().GetOwnedAsync("device-crash", digest, CancellationToken.None);
        var store = host.Services.GetRequiredService<BlobStore>();
        var files = Directory.EnumerateFiles(store.Root, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToList();

        Assert.Equal(QueryUploadResponse.Types.State.Completed, query.State);
        Assert.Empty(missing.MissingSha256);
        Assert.NotNull(record);
        Assert.Equal(record.Files.Order(), files); // every stored file is named, nothing else is stored
        foreach (var file in record.Files)
        {
            Assert.Equal(file, BlobStore.ComputeSha256(store.PathFor(file)));
        }

        Assert.Equal(query.Blob.StoredSha256, record.StoredSha256);
    }

    private static Task<int> SweepAsync(GatewayHost host, TimeSpan ahead)
    {
        var sweeper = host.Services.GetServices<IHostedService>().OfType<StagingSweeper>().Single();
        return sweeper.SweepAsync(CancellationToken.None, DateTimeOffset.UtcNow + ahead);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Completion_InterruptedAfterAStep_IsFinishedByTheResume(CompletionStep step, bool useRedis)
    {
        var uploadId = $"crash-resume-{step}-{useRedis}";
        var (host, client, photo) = await FailOnceAtAsync(step, useRedis, uploadId);
        await using var _ = host;

        var completed = await TestUploader.UploadToEndAsync(client, uploadId, photo);

        Assert.Equal(TestUploader.Sha256(photo), completed.Blob.Sha256);
        Assert.NotNull(completed.Blob.Photo);
        Assert.False(Staged(host, uploadId));
        await AssertStoredAsync(host, client, uploadId, photo);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Completion_InterruptedAfterAStep_IsFinishedByTheSweeperWhenTheDeviceNeverReturns(CompletionStep step, bool useRedis)
    {
        var uploadId = $"crash-sweep-{step}-{useRedis}";
        var (host, client, photo) = await FailOnceAtAsync(step, useRedis, uploadId);
        await using var _ = host;

        await SweepAsync(host, TimeSpan.FromMinutes(5)); // past the writer's lease: the upload is stranded
        await AssertStoredAsync(host, client, uploadId, photo);
        await SweepAsync(host, TimeSpan.FromDays(2)); // past the staging lifetime

        Assert.False(Staged(host, uploadId));
        Assert.NotNull(await host.Services.GetRequiredService<IBlobIndex>().GetOwnedAsync("device-crash", TestUploader.Sha256(photo), CancellationToken.None));
    }
}

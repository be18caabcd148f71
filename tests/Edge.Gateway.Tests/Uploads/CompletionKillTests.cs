using Edge.Gateway.Tests.Imaging;
using Edge.Gateway.Tests.Infrastructure;
using Edge.Gateway.Uploads;
using Edge.V1;
using Grpc.Core;
using static Edge.Gateway.Tests.Infrastructure.TestUploader;

namespace Edge.Gateway.Tests.Uploads;

/// <summary>
/// The real gateway process killed (SIGKILL, by itself at a completion step, so the kill lands exactly there) while it
/// completes an upload, then restarted: the device's resume finishes the completion, no call ends UNKNOWN, and the
/// data directory holds exactly the stored photo and thumbnail. Embedded and Redis mode.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class CompletionKillTests(RedisServer redis)
{
    public static TheoryData<CompletionStep, bool> Steps()
    {
        var data = new TheoryData<CompletionStep, bool>();
        foreach (var step in new[] { CompletionStep.Assembled, CompletionStep.Processed, CompletionStep.Stored, CompletionStep.Indexed, CompletionStep.StagingRemoved })
        {
            data.Add(step, false);
        }

        data.Add(CompletionStep.Stored, true);
        data.Add(CompletionStep.Indexed, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Gateway_KilledDuringCompletion_CompletesOnResumeAfterRestart(CompletionStep step, bool useRedis)
    {
        var photo = TestPhotos.PhoneJpeg(1600, 1200);
        var dataDirectory = Directory.CreateTempSubdirectory("edge-kill-complete-").FullName;
        var redisConnection = useRedis ? redis.ConnectionString : null;
        var prefix = $"--Edge:RedisKeyPrefix=kc{Guid.NewGuid():N}:";
        var port = FreePorts.Next();
        var uploadId = $"kill-at-{step}";

        await using (var doomed = await GatewayProcess.StartAsync(dataDirectory, redisConnection, port, prefix,
            "--Edge:Diagnostics:EnableFaultInjection=true", $"--Edge:Diagnostics:CrashAfterCompletionStep={step}"))
        {
            using var channel = TestChannels.Create(doomed.Address, TestTokens.Mint("device-kc"));
            var error = await Assert.ThrowsAsync<RpcException>(async () => await UploadAsync(new V1.Uploads.UploadsClient(channel), uploadId, photo));
            Assert.NotEqual(StatusCode.Unknown, error.StatusCode);
            Assert.True(doomed.WaitForExit(TimeSpan.FromSeconds(10)), "the gateway did not kill itself at the step");
        }

        await using var restarted = await GatewayProcess.StartAsync(dataDirectory, redisConnection, port, prefix);
        using var channel2 = TestChannels.Create(restarted.Address, TestTokens.Mint("device-kc"));
        var client = new V1.Uploads.UploadsClient(channel2);
        var before = await client.QueryUploadAsync(new QueryUploadRequest { UploadId = uploadId });
        var outcome = await UploadAsync(client, uploadId, photo);
        var blob = outcome.Completed?.Blob ?? outcome.Started.Blob;
        var after = await client.QueryUploadAsync(new QueryUploadRequest { UploadId = uploadId });
        var missing = await client.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { Sha256(photo) } });

        Assert.Equal(photo.Length, before.CommittedOffset); // every byte survived: only the completion was lost
        Assert.NotNull(blob);
        Assert.Equal(Sha256(photo), blob.Sha256);
        Assert.Equal(QueryUploadResponse.Types.State.Completed, after.State);
        Assert.Empty(missing.MissingSha256);
        var stored = Directory.EnumerateFiles(Path.Combine(dataDirectory, "blobs", "sha256"), "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName).Order().ToList();
        Assert.Equal(new[] { blob.StoredSha256, blob.Photo.ThumbnailSha256 }.Order(), stored);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(dataDirectory, "staging")));
    }
}

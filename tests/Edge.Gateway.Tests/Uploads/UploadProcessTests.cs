using Edge.Gateway.Tests.Imaging;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using static Edge.Gateway.Tests.Infrastructure.TestUploader;

namespace Edge.Gateway.Tests.Uploads;

/// <summary>
/// The gateway as real processes: killed with SIGKILL mid-upload and restarted, and two replicas sharing Redis and a
/// data directory. The photos are real phone-like JPEGs, so the production photo pipeline runs on them: what is stored
/// is the stripped photo, under its own digest, while the device's digest is what the upload verified.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class UploadProcessTests(RedisServer redis)
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Upload_GatewayKilledMidUpload_CompletesAfterRestart(bool useRedis, bool graceful)
    {
        var data = TestPhotos.PhoneJpeg(3600, 2700);
        Assert.True(data.Length > 1_200_000, $"photo of {data.Length} bytes");
        var dataDirectory = Directory.CreateTempSubdirectory("edge-kill-").FullName;
        var redisConnection = useRedis ? redis.ConnectionString : null;
        var prefix = $"--Edge:RedisKeyPrefix=k{Guid.NewGuid():N}:";

        long durable;
        var port = FreePorts.Next();
        await using (var first = await GatewayProcess.StartAsync(dataDirectory, redisConnection, port, prefix))
        {
            using var channel = TestChannels.Create(first.Address, TestTokens.Mint("device-k"));
            var client = new V1.Uploads.UploadsClient(channel);
            using var call = client.Upload();
            await call.RequestStream.WriteAsync(Start("kill-1", data));
            Assert.True(await call.ResponseStream.MoveNext());
            for (var offset = 0; offset < 1_048_576; offset += 64 * 1024)
            {
                await call.RequestStream.WriteAsync(Chunk(data, offset, 64 * 1024));
            }

            // Wait for the acknowledgement of the first megabyte, then kill the process without warning.
            durable = 0;
            while (durable < 1_000_000 && await call.ResponseStream.MoveNext())
            {
                durable = call.ResponseStream.Current.Ack?.CommittedOffset ?? durable;
            }

            if (graceful)
            {
                // SIGTERM with the stream still open: the gateway ends it and keeps every byte it took.
                await call.RequestStream.WriteAsync(Chunk(data, 1_048_576, 64 * 1024));
                var terminating = first.TerminateAsync();
                var ended = await Assert.ThrowsAsync<RpcException>(async () =>
                {
                    while (await call.ResponseStream.MoveNext())
                    {
                    }
                });
                Assert.Equal(StatusCode.Unavailable, ended.StatusCode);
                Assert.Equal(0, await terminating);
            }
            else
            {
                first.Kill();
            }
        }

        await using var second = await GatewayProcess.StartAsync(dataDirectory, redisConnection, port, prefix);
        using var channel2 = TestChannels.Create(second.Address, TestTokens.Mint("device-k"));
        var client2 = new V1.Uploads.UploadsClient(channel2);
        var query = await client2.QueryUploadAsync(new QueryUploadRequest { UploadId = "kill-1" });
        var outcome = await UploadAsync(client2, "kill-1", data);

        // Everything acknowledged before the kill survived it.
        Assert.True(query.CommittedOffset >= durable, $"committed {query.CommittedOffset} < acknowledged {durable}");
        Assert.Equal(query.CommittedOffset, outcome.Started.CommittedOffset);
        Assert.NotNull(outcome.Completed);
        Assert.Equal(Sha256(data), outcome.Completed.Blob.Sha256);
        AssertStoredPhoto(dataDirectory, outcome.Completed.Blob);
    }

    [Fact]
    public async Task Upload_StartedOnOneReplica_FinishedOnAnother()
    {
        var data = TestPhotos.PhoneJpeg(3000, 2250);
        var dataDirectory = Directory.CreateTempSubdirectory("edge-replicas-").FullName;
        var prefix = $"--Edge:RedisKeyPrefix=r{Guid.NewGuid():N}:";
        var (coreA, coreB) = SharedCore();
        await using var a = await GatewayProcess.StartAsync(dataDirectory, redis.ConnectionString, null, prefix, coreA);
        await using var b = await GatewayProcess.StartAsync(dataDirectory, redis.ConnectionString, null, prefix, coreB);
        using var channelA = TestChannels.Create(a.Address, TestTokens.Mint("device-r"));
        using var channelB = TestChannels.Create(b.Address, TestTokens.Mint("device-r"));

        var onA = await UploadAsync(new V1.Uploads.UploadsClient(channelA), "replica-1", data, cutAt: 500_000);
        var onB = await UploadAsync(new V1.Uploads.UploadsClient(channelB), "replica-1", data);
        var queryOnA = await new V1.Uploads.UploadsClient(channelA).QueryUploadAsync(new QueryUploadRequest { UploadId = "replica-1" });

        Assert.True(onA.WasCut);
        Assert.True(onB.Started.CommittedOffset >= onA.LastAck && onB.Started.CommittedOffset > 0);
        Assert.NotNull(onB.Completed);
        Assert.Equal(QueryUploadResponse.Types.State.Completed, queryOnA.State);
        Assert.Equal(Sha256(data), onB.Completed.Blob.Sha256);
        AssertStoredPhoto(dataDirectory, onB.Completed.Blob);
    }

    [Fact]
    public async Task Upload_HalfOpenWriterOnAnotherReplica_IsFencedOut()
    {
        var data = TestPhotos.PhoneJpeg(2400, 1800);
        var dataDirectory = Directory.CreateTempSubdirectory("edge-fence-").FullName;
        var prefix = $"--Edge:RedisKeyPrefix=f{Guid.NewGuid():N}:";
        var (coreA, coreB) = SharedCore();
        await using var a = await GatewayProcess.StartAsync(dataDirectory, redis.ConnectionString, null, prefix, coreA);
        await using var b = await GatewayProcess.StartAsync(dataDirectory, redis.ConnectionString, null, prefix, coreB);
        using var channelA = TestChannels.Create(a.Address, TestTokens.Mint("device-f"));
        using var channelB = TestChannels.Create(b.Address, TestTokens.Mint("device-f"));

        using var old = new V1.Uploads.UploadsClient(channelA).Upload();
        await old.RequestStream.WriteAsync(Start("fence-1", data));
        Assert.True(await old.ResponseStream.MoveNext());
        await old.RequestStream.WriteAsync(Chunk(data, 0, 100_000));
        Assert.True(await old.ResponseStream.MoveNext());

        var taken = await UploadAsync(new V1.Uploads.UploadsClient(channelB), "fence-1", data, cutAt: 250_000);

        // The old writer wakes up and sends more: its bytes must not be taken, and it ends ABORTED.
        var error = await Assert.ThrowsAsync<RpcException>(() => CallStreams.WriteAllThenReadAsync(old, [Chunk(data, 100_000, 200_000)], complete: false));
        var finished = await UploadAsync(new V1.Uploads.UploadsClient(channelB), "fence-1", data);

        Assert.True(taken.Started.TookOver);
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.NotNull(finished.Completed);
        Assert.Equal(Sha256(data), finished.Completed.Blob.Sha256);
        AssertStoredPhoto(dataDirectory, finished.Completed.Blob);
    }

    /// <summary>
    /// Replicas share one core: the first hosts the simulator on a known port, the second is pointed at it (two
    /// simulators cannot share one data directory).
    /// </summary>
    private static (string First, string Second) SharedCore()
    {
        var port = FreePorts.Next();
        return ($"--Edge:Core:EmbeddedPort={port}", $"--Edge:Core:Address=http://127.0.0.1:{port}");
    }

    /// <summary>The stored photo is whole (its bytes hash to the digest named), a JPEG, and free of the planted metadata.</summary>
    private static void AssertStoredPhoto(string dataDirectory, StoredBlob blob)
    {
        var stored = File.ReadAllBytes(Path.Combine(dataDirectory, "blobs", "sha256", blob.StoredSha256[..2], blob.StoredSha256));
        Assert.Equal(blob.StoredSha256, Sha256(stored));
        Assert.Equal("image/jpeg", blob.ContentType);
        Assert.NotNull(blob.Photo);
        Assert.False(TestPhotos.Contains(stored, TestPhotos.Planted));
    }
}

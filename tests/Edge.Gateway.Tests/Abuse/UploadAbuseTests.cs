using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Edge.Gateway.Tests.Infrastructure.TestUploader;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>
/// One device opening uploads it never fills: it is refused at its own budget (RESOURCE_EXHAUSTED with RetryInfo) while
/// another device's photo, scans and proof go through, and what it reserved is given back. Run once per state mode.
/// </summary>
public abstract class UploadAbuseTests : AbuseTestBase
{
    private const long Declared = 20L * 1024 * 1024;

    [Fact]
    public async Task EmptyUploads_HeldOpen_AreRefusedAtTheDeviceBudget_EndByDeadline_AndReserveNothingAfter()
    {
        // Global staging of 100 MiB: without a device budget, five of these starts would fill it for everyone.
        var host = await StartAsync(new()
        {
            ["Edge:Uploads:MaxStagingBytes"] = (100L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Edge:Uploads:MaxStagingBytesPerDevice"] = (50L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Edge:Limits:FirstMessageTimeout"] = "00:00:05",
        });
        var attacker = new V1.Uploads.UploadsClient(host.Channel("attacker"));
        var held = new List<AsyncDuplexStreamingCall<UploadRequest, UploadResponse>>();
        RpcException? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            var call = attacker.Upload();
            await call.RequestStream.WriteAsync(Start($"empty-{i}", [], sha: Sha256(RandomBytes(8, i)), size: Declared));
            try
            {
                Assert.True(await call.ResponseStream.MoveNext());
                held.Add(call);
            }
            catch (RpcException e)
            {
                refused = e;
                call.Dispose();
            }
        }

        await VictimGoesThroughAsync(host, "held");

        Assert.NotNull(refused);
        AssertRefusedWithRetry(refused);
        Assert.Equal(2, held.Count);
        foreach (var call in held)
        {
            var ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.DeadlineExceeded, ended.StatusCode);
            call.Dispose();
        }

        var sessions = host.Services.GetRequiredService<IUploadSessionStore>();
        await TestIntake.WaitUntilAsync(async () => await sessions.GetReservedStagingBytesAsync(CancellationToken.None) == 0, what: "the reservations to be given back");
        Assert.Null(await sessions.GetAsync("empty-0", CancellationToken.None));
        Assert.False(Directory.Exists(host.Services.GetRequiredService<StagingArea>().FolderFor("empty-0")));
    }

    [Fact]
    public async Task UploadStreams_PastTheGatewayWriterLimit_AreRefused_UntilOneEnds()
    {
        // Each writing stream holds a staging file open; the gateway writes at most this many at once.
        var host = await StartAsync(new() { ["Edge:Uploads:MaxWritingUploads"] = "2" });
        var data = TestPhotos.PhoneJpeg();
        var writing = new List<AsyncDuplexStreamingCall<UploadRequest, UploadResponse>>();
        foreach (var device in new[] { "writer-1", "writer-2" })
        {
            var call = new V1.Uploads.UploadsClient(host.Channel(device)).Upload();
            await call.RequestStream.WriteAsync(Start($"{device}-photo", data));
            Assert.True(await call.ResponseStream.MoveNext());
            await call.RequestStream.WriteAsync(Chunk(data, 0, 16 * 1024));
            writing.Add(call);
        }

        var third = new V1.Uploads.UploadsClient(host.Channel("writer-3"));
        var refused = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(third, "writer-3-photo", data));
        AssertRefusedWithRetry(refused);
        Assert.Contains("writing 2 uploads", refused.Status.Detail, StringComparison.Ordinal);

        // One stream ends (its device drops it): the third device's upload is taken, from its start to the end.
        writing[0].Dispose();
        UploadCompleted? completed = null;
        await TestIntake.WaitUntilAsync(async () =>
        {
            try
            {
                completed = (await UploadAsync(third, "writer-3-photo", data)).Completed;
                return completed is not null;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, what: "a writer slot");
        Assert.Equal(Sha256(data), completed!.Blob.Sha256);
        writing[1].Dispose();
    }

    [Fact]
    public async Task UnfinishedUploads_LeftAfterOneChunk_AreRefusedAtTheDeviceCount()
    {
        var host = await StartAsync(new() { ["Edge:Uploads:MaxUnfinishedUploadsPerDevice"] = "3" });
        var attacker = new V1.Uploads.UploadsClient(host.Channel("attacker"));
        var data = RandomBytes(200_000, seed: 5);
        RpcException? refused = null;
        var left = 0;
        for (var i = 0; i < 6 && refused is null; i++)
        {
            try
            {
                await LeaveUnfinishedAsync(attacker, $"partial-{i}", [.. data, (byte)i]);
                left++;
            }
            catch (RpcException e)
            {
                refused = e;
            }
        }

        await VictimGoesThroughAsync(host, "unfinished");

        Assert.NotNull(refused);
        AssertRefusedWithRetry(refused);
        Assert.Equal(3, left);
    }

    [Fact]
    public async Task UploadStarts_OverTheDeviceRate_AreRefused()
    {
        var host = await StartAsync(new() { ["Edge:Limits:UploadStartBurst"] = "5", ["Edge:Limits:UploadStartsPerSecond"] = "0.01" });
        var attacker = new V1.Uploads.UploadsClient(host.Channel("attacker"));
        var data = RandomBytes(1000, seed: 6);
        for (var i = 0; i < 5; i++)
        {
            // Not photos: refused for what they are, and each start spends the device's budget all the same.
            var invalid = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(attacker, "rate-" + i, [.. data, (byte)i]));
            Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(attacker, "rate-5", data));
        await VictimGoesThroughAsync(host, "rate");

        AssertRefusedWithRetry(refused);
    }

    [Fact]
    public async Task UploadWithoutAFirstMessage_EndsDeadlineExceeded()
    {
        var host = await StartAsync(new() { ["Edge:Limits:FirstMessageTimeout"] = "00:00:01" });
        using var call = new V1.Uploads.UploadsClient(host.Channel("attacker")).Upload();

        var ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.DeadlineExceeded, ended.StatusCode);
        Assert.Contains("first message", ended.Status.Detail, StringComparison.Ordinal);
    }
}

public sealed class EmbeddedUploadAbuseTests : UploadAbuseTests
{
    protected override string? Redis => null;
}

[Collection(RedisCollection.Name)]
public sealed class RedisUploadAbuseTests(RedisServer redis) : UploadAbuseTests
{
    protected override string? Redis => redis.ConnectionString;
}

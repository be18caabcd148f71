using Edge.Client.Tests.Infrastructure;
using Grpc.Core;
using Xunit.Abstractions;

namespace Edge.Client.Tests.Uploads;

/// <summary>
/// Photo uploads through the SDK against the real gateway process, through a proxy that breaks the link the ways a
/// cellular network does.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class UploadTests(GatewayFixture gateway, ITestOutputHelper output)
{
    private const int ChunkBytes = 64 * 1024;

    // Bytes an attempt costs besides chunk data: the connection preface and settings, headers with the token, the
    // start message, gRPC and HTTP/2 framing of the chunks, pings and window updates.
    private const int AttemptOverhead = 8 * 1024;

    private readonly string _photos = TestClients.NewDirectory("edge-photos-");

    [Fact]
    public async Task UploadPhoto_LinkCutEveryFewHundredKilobytes_StoresPhotoAndResendsAtMostAChunkPerCut()
    {
        var path = TestPhotos.Jpeg(_photos, 3000, 2200, seed: 1);
        var size = new FileInfo(path).Length;
        Assert.True(size > 1_000_000, $"photo of {size} bytes");
        await using var proxy = new FaultyProxy(gateway.Address) { CutEveryBytes = 300_000 };
        var options = TestClients.Options(proxy.Address);
        options.MaxChunkBytes = ChunkBytes;
        options.MaxUploadAttempts = 100;
        await using var client = new EdgeClient(options);

        var uploaded = await client.UploadPhotoAsync(path);

        Assert.Equal(TestPhotos.Sha256(path), uploaded.Sha256);
        Assert.False(uploaded.AlreadyStored);
        Assert.NotNull(uploaded.Report);
        Assert.Equal("JPEG", uploaded.Report.Format);
        Assert.Equal(3000, uploaded.Report.Width);
        Assert.True(proxy.Cuts >= 3, $"{proxy.Cuts} cuts");
        var resent = proxy.UpstreamBytes - size;
        output.WriteLine($"{size} bytes, {proxy.Cuts} cuts, {proxy.Connections} connections, {resent} bytes beyond the photo");
        var allowed = (long)proxy.Cuts * (ChunkBytes + AttemptOverhead) + AttemptOverhead;
        Assert.True(resent <= allowed, $"{resent} bytes sent beyond the photo's {size} over {proxy.Cuts} cuts; at most {allowed} expected");
    }

    [Fact]
    public async Task UploadPhoto_AppRestartedMidUpload_NewClientOnSameOutboxResumes()
    {
        var path = TestPhotos.Jpeg(_photos, 3000, 2200, seed: 2);
        var size = new FileInfo(path).Length;
        var outbox = TestClients.NewDirectory("edge-outbox-restart-");
        await using var proxy = new FaultyProxy(gateway.Address) { BytesPerSecond = 3_000_000 };

        long durable = 0;
        await using (var first = new EdgeClient(TestClients.Options(proxy.Address, outbox)))
        {
            using var kill = new CancellationTokenSource();
            var progress = new InlineProgress<UploadProgress>(p =>
            {
                if (p.CommittedBytes >= 300_000 && !kill.IsCancellationRequested)
                {
                    durable = p.CommittedBytes;
                    // The app dies: its sockets close and whatever was still on its way is lost.
                    proxy.CutAll();
                    kill.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.UploadPhotoAsync(path, progress, kill.Token));
        }

        Assert.True(durable >= 300_000 && durable < size, $"durable {durable} of {size}");
        proxy.ResetCounters();
        await using var second = new EdgeClient(TestClients.Options(proxy.Address, outbox));
        var resumedFrom = -1L;
        var uploaded = await second.UploadPhotoAsync(path, new InlineProgress<UploadProgress>(p =>
        {
            if (resumedFrom < 0)
            {
                resumedFrom = p.CommittedBytes;
            }
        }));

        output.WriteLine($"{size} bytes, {durable} durable before the restart, resumed from {resumedFrom}, {proxy.UpstreamBytes} bytes sent after it");
        Assert.Equal(TestPhotos.Sha256(path), uploaded.Sha256);
        Assert.True(resumedFrom >= durable, $"resumed from {resumedFrom}, {durable} were durable");
        Assert.True(proxy.UpstreamBytes < size - resumedFrom + 2 * AttemptOverhead, $"{proxy.UpstreamBytes} bytes sent after the restart");
    }

    [Fact]
    public async Task UploadPhoto_NetworkChangedWhileLinkIsHalfOpen_ResumesOnNewConnection()
    {
        var path = TestPhotos.Jpeg(_photos, 1600, 1200, seed: 3);
        await using var proxy = new FaultyProxy(gateway.Address) { BytesPerSecond = 2_000_000 };
        var options = TestClients.Options(proxy.Address);

        // Nothing else would notice the dead link: no keep-alive pings, a deadline far away.
        options.KeepAlivePingDelay = Timeout.InfiniteTimeSpan;
        options.AttemptTimeout = TimeSpan.FromMinutes(10);
        await using var client = new EdgeClient(options);
        var frozen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new InlineProgress<UploadProgress>(p =>
        {
            if (p.CommittedBytes >= 200_000 && !frozen.Task.IsCompleted)
            {
                proxy.FreezeAll();
                frozen.TrySetResult();
            }
        });

        var upload = client.UploadPhotoAsync(path, progress);
        await frozen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var connectionsBefore = proxy.Connections;
        client.NotifyNetworkChanged();

        // A hang guard, not a timing assertion: without the notification this upload would never finish.
        var uploaded = await upload.WaitAsync(TimeSpan.FromSeconds(40));
        Assert.Equal(TestPhotos.Sha256(path), uploaded.Sha256);
        Assert.True(proxy.Connections > connectionsBefore);
    }

    [Fact]
    public async Task UploadPhoto_SamePhotoTwice_SecondIsNotSentAgain()
    {
        var path = TestPhotos.Jpeg(_photos, 800, 600, seed: 4);
        await using var proxy = new FaultyProxy(gateway.Address);
        await using var client = new EdgeClient(TestClients.Options(proxy.Address));
        var first = await client.UploadPhotoAsync(path);
        proxy.ResetCounters();

        var second = await client.UploadPhotoAsync(path);

        Assert.False(first.AlreadyStored);
        Assert.True(second.AlreadyStored);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.True(proxy.UpstreamBytes < 4096, $"{proxy.UpstreamBytes} bytes sent for a photo the gateway had");
    }

    [Fact]
    public async Task UploadPhoto_FromStream_StoresItAndLeavesNoCopyBehind()
    {
        var path = TestPhotos.Jpeg(_photos, 900, 700, seed: 5);
        await using var client = new EdgeClient(TestClients.Options(gateway.Address));
        await using var stream = File.OpenRead(path);

        var uploaded = await client.UploadPhotoAsync(stream, null, CancellationToken.None);

        Assert.Equal(TestPhotos.Sha256(path), uploaded.Sha256);
        Assert.Equal(0, client.GetOutboxStatus().Photos);
    }

    [Fact]
    public async Task UploadPhoto_NotAPhoto_FailsWithInvalidArgumentWithoutRetrying()
    {
        var path = Path.Combine(_photos, "not-a-photo.jpg");
        await File.WriteAllBytesAsync(path, [0xFF, 0xD8, 0xFF, .. new byte[50_000]]);
        await using var proxy = new FaultyProxy(gateway.Address);
        await using var client = new EdgeClient(TestClients.Options(proxy.Address));

        // Still an RpcException for apps that catch those; typed for apps that want the reason.
        var error = await Assert.ThrowsAnyAsync<RpcException>(() => client.UploadPhotoAsync(path));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(PhotoRejectionReason.UnsupportedFormat, Assert.IsType<PhotoRejectedException>(error).Reason);
        Assert.True(proxy.UpstreamBytes < 60_000 + 2 * AttemptOverhead, $"{proxy.UpstreamBytes} bytes: the upload was retried");
    }
}

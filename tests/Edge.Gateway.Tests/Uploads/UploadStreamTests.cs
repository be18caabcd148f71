using Edge.Gateway.Diagnostics;
using Edge.Gateway.Imaging;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Edge.Gateway.Tests.Infrastructure.TestUploader;

namespace Edge.Gateway.Tests.Uploads;

/// <summary>
/// How one upload stream ends and when it acknowledges, over real HTTP/2 (embedded mode; the stream's behaviour does
/// not depend on the state store).
/// </summary>
public sealed class UploadStreamTests : IAsyncLifetime
{
    private GatewayHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Upload_ClientGoneMidStream_LogsTheLostConnectionNotATakeover()
    {
        using var logs = new CapturedLogs("Edge.Gateway.Uploads");
        var client = await StartAsync(logs);
        var data = RandomBytes(300_000, seed: 41);

        using (var call = client.Upload())
        {
            await call.RequestStream.WriteAsync(Start("lost-1", data));
            Assert.True(await call.ResponseStream.MoveNext());
            await call.RequestStream.WriteAsync(Chunk(data, 0, 100_000));
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal(100_000, call.ResponseStream.Current.Ack.CommittedOffset);
        }

        // Disposing the unfinished call resets the stream, as a lost signal would; the gateway notices it on its own.
        var lost = await logs.WaitForAsync(entry => entry.EventId == EventIds.UploadConnectionLost && entry.Message.Contains("lost-1", StringComparison.Ordinal));

        Assert.Contains("lost its connection at offset 100000", lost.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId == EventIds.UploadTakenOver);
        var query = await client.QueryUploadAsync(new QueryUploadRequest { UploadId = "lost-1" });
        Assert.Equal(100_000, query.CommittedOffset);
    }

    [Fact]
    public async Task Upload_FirstChunkOfAStream_NewOrResumed_IsAcknowledgedWithoutWaitingForAnother()
    {
        // The clock stands still: the idle pause before a sync (Edge:Uploads:SyncIdleDelay) never ends by itself.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var logs = new CapturedLogs("Edge.Gateway.Uploads");
        var client = await StartAsync(logs, clock);
        var data = RandomBytes(200_000, seed: 42);

        using var call = client.Upload();
        await call.RequestStream.WriteAsync(Start("first-ack-1", data));
        Assert.True(await call.ResponseStream.MoveNext());
        await call.RequestStream.WriteAsync(Chunk(data, 0, 50_000));
        // A hang guard, not a timing assertion: a gateway that waited for the idle pause never answers here.
        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(TimeSpan.FromSeconds(30)));
        var first = call.ResponseStream.Current.Ack.CommittedOffset;

        // Later chunks of the stream still wait for the pause (so chunks on their way share one sync).
        await call.RequestStream.WriteAsync(Chunk(data, 50_000, 50_000));
        var second = call.ResponseStream.MoveNext();
        while (!second.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(20));
            await Task.WhenAny(second, Task.Delay(20));
        }

        Assert.Equal(50_000, first);
        Assert.True(await second);
        Assert.Equal(100_000, call.ResponseStream.Current.Ack.CommittedOffset);

        // The link is cut (the client resets the stream); the resumed stream's first bytes are acknowledged at once too.
        call.Dispose();
        using var resumed = client.Upload();
        await resumed.RequestStream.WriteAsync(Start("first-ack-1", data));
        Assert.True(await resumed.ResponseStream.MoveNext().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(100_000, resumed.ResponseStream.Current.Started.CommittedOffset);
        await resumed.RequestStream.WriteAsync(Chunk(data, 100_000, 50_000));
        Assert.True(await resumed.ResponseStream.MoveNext().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(150_000, resumed.ResponseStream.Current.Ack.CommittedOffset);
    }

    private async Task<V1.Uploads.UploadsClient> StartAsync(CapturedLogs logs, TimeProvider? clock = null)
    {
        _host = await GatewayHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Logging:LogLevel:Edge.Gateway.Uploads"] = "Debug" },
            services: s =>
            {
                s.AddSingleton<IPhotoPipeline, PassthroughPhotoPipeline>();
                s.AddSingleton<ILoggerProvider>(logs);
                if (clock is not null)
                {
                    s.AddSingleton(clock);
                }
            });
        return new V1.Uploads.UploadsClient(_host.Channel());
    }
}

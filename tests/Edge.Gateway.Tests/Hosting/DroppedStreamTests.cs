using System.Security.Cryptography;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Edge.Gateway.Tests.Hosting;

/// <summary>
/// Devices drop streams all the time (a lost signal, an app sent to the background): a stream the client resets is
/// the client's doing, never an unexpected error of the gateway in its logs.
/// </summary>
public sealed class DroppedStreamTests
{
    [Fact]
    public async Task UploadStreams_DroppedRightAfterTheStartedAnswer_AreNeverLoggedAsUnexpectedErrors()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Edge:Limits:UploadStartsPerSecond"] = "10000",
            ["Edge:Limits:UploadStartBurst"] = "10000",
        }, services: services => services.AddFakeLogsOfEveryLevel());

        var answered = 0;
        // Eight at once, as a depot's devices would: the reset races whatever the gateway is doing with the stream.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var uploads = new V1.Uploads.UploadsClient(host.Channel($"dropping-device-{worker}"));
            for (var n = 0; n < 100; n++)
            {
                using var call = uploads.Upload();
                await call.RequestStream.WriteAsync(new UploadRequest
                {
                    Start = new UploadStart
                    {
                        UploadId = $"u-drop-{worker}-{n}",
                        Sha256 = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes((worker * 1000) + n))),
                        SizeBytes = 3_000_000,
                    },
                });
                try
                {
                    if (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        Interlocked.Increment(ref answered);
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    // The stream dropped a moment ago may still count against the device's live uploads.
                    await Task.Delay(20);
                }

                // Disposed here without completing the request stream: the stream is reset, as a phone losing its
                // link does.
            }
        })));

        // The handlers of the last streams reset may still be ending: give them a moment before reading the log.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(answered > 0, "no upload start was answered");
        var unexpected = host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == EventIds.CallUnexpectedError).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Select(r => r.Message + " " + r.Exception)));
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Edge.Gateway.Security;
using Edge.LoadTest.Uploads;
using Edge.LoadTesting;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;

namespace Edge.LoadTest.Abuse;

/// <summary>
/// A victim fleet (phone photos through the real pipeline, scan batches) measured in three equal periods: without
/// attackers, with them, and without again. The attack: idle TCP connections held at the connection limit (reopened as
/// the gateway closes them), one device sending scans at ten times its rate, one device opening empty uploads in a
/// loop. Reports the fleet's p50/p99 per period, the attackers' refusals and the gateway's peak RSS, all with the
/// gateway's default per-device budgets.
/// </summary>
internal static class AbuseScenario
{
    public const string Name = "abuse";

    public static async Task<BenchmarkReport> RunAsync(ScenarioArguments arguments)
    {
        var data = arguments.String("data") ?? Directory.CreateTempSubdirectory("edge-abuse-bench-").FullName;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var port = UploadGatewayRole.FreePort();
        var maxConnections = arguments.Int("max-connections", 500);
        var period = TimeSpan.FromSeconds(arguments.Int("seconds", 30));
        var victims = arguments.Int("victims", 4);
        using var gateway = await UploadGatewayRole.StartProcessAsync(port, data, key, arguments.String("redis"),
            "--pipeline", "photos", "--device-limits", "default", "--max-connections", maxConnections.ToString(CultureInfo.InvariantCulture));
        try
        {
            var signingKey = DeviceTokens.ResolveKey(new DeviceTokenOptions { SigningKey = key }, data, out _);
            GrpcChannel Channel(string device) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
            {
                Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
                {
                    metadata.Add("authorization", "Bearer " + DeviceTokens.Mint(signingKey, new DeviceTokenOptions(), device, "bench-driver", ["R-0001"], TimeSpan.FromHours(2), DateTimeOffset.UtcNow));
                    return Task.CompletedTask;
                })),
                UnsafeUseInsecureChannelCallCredentials = true,
            });

            var photo = PhoneJpeg.Make("victim-photo-0000000000");
            var marker = PhoneJpeg.MarkerOffset(photo, "victim-photo-") + "victim-photo-".Length;
            var fleet = Enumerable.Range(0, victims).Select(i => new Victim(Channel($"victim-{i}"), photo, marker, i)).ToArray();
            var report = new BenchmarkReport(Name);
            report.Parameters["state"] = arguments.String("redis") is null ? "embedded (SQLite)" : "redis";
            report.Parameters["victims"] = victims.ToString(CultureInfo.InvariantCulture);
            report.Parameters["period"] = period.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s each: quiet, attack, quiet";
            report.Parameters["max connections"] = maxConnections.ToString(CultureInfo.InvariantCulture);
            report.Parameters["photo"] = $"{photo.Length} bytes, 4000x3000 JPEG";

            // Every victim connects and warms up first: a device that already holds its connection.
            await Task.WhenAll(fleet.Select(v => v.RunAsync(TimeSpan.FromSeconds(5), record: null)));
            var quiet1 = new Figures();
            await Task.WhenAll(fleet.Select(v => v.RunAsync(period, quiet1)));

            using var stop = new CancellationTokenSource();
            var attack = new Attack(port, maxConnections - victims - 8, Channel("flooder"), Channel("empty-uploader"));
            var attacking = attack.RunAsync(stop.Token);
            await attack.AtTheLimitAsync(TimeSpan.FromSeconds(30));
            var attacked = new Figures();
            await Task.WhenAll(fleet.Select(v => v.RunAsync(period, attacked)));
            await stop.CancelAsync();
            await attacking;

            var quiet2 = new Figures();
            await Task.WhenAll(fleet.Select(v => v.RunAsync(period, quiet2)));

            foreach (var (name, figures) in new[] { ("quiet before", quiet1), ("attacked", attacked), ("quiet after", quiet2) })
            {
                report.AddPercentiles($"photo upload, {name},", figures.Photos);
                report.AddPercentiles($"scan batch, {name},", figures.Scans);
                report.Add($"victim failures, {name}", figures.Failures, "calls");
            }

            double Ratio(Func<Figures, HistogramBase> pick) => (double)pick(attacked).GetValueAtPercentile(99)
                / Math.Max(1, Math.Max(pick(quiet1).GetValueAtPercentile(99), pick(quiet2).GetValueAtPercentile(99)));
            report.Add("photo upload p99 attacked / quiet (worse of the two)", Ratio(f => f.Photos), "x");
            report.Add("scan batch p99 attacked / quiet (worse of the two)", Ratio(f => f.Scans), "x");
            attack.Report(report);

            var gatewayFigures = JsonSerializer.Deserialize<Dictionary<string, long>>(await UploadGatewayRole.ReportAsync(gateway))!;
            report.Add("gateway peak RSS (VmHWM)", gatewayFigures["peak_rss_bytes"] / (1024.0 * 1024), "MiB");
            await gateway.StandardInput.WriteLineAsync("quit");
            await gateway.WaitForExitAsync();
            foreach (var victim in fleet)
            {
                victim.Dispose();
            }

            return report;
        }
        finally
        {
            if (!gateway.HasExited)
            {
                gateway.Kill(entireProcessTree: true);
            }

            if (arguments.String("data") is null)
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    /// <summary>Latencies of one period, in microseconds.</summary>
    private sealed class Figures
    {
        public LongHistogram Photos { get; } = new(600_000_000L, 3);

        public LongHistogram Scans { get; } = new(600_000_000L, 3);

        public long Failures;

        public static void Record(LongHistogram histogram, long started)
        {
            lock (histogram)
            {
                histogram.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        }
    }

    /// <summary>A handheld at work: a photo at the door, then the stop's scans, then a short drive.</summary>
    private sealed class Victim(GrpcChannel channel, byte[] template, int marker, int index) : IDisposable
    {
        private readonly byte[] _photo = (byte[])template.Clone();
        private long _sequence;

        public async Task RunAsync(TimeSpan duration, Figures? record)
        {
            var uploads = new V1.Uploads.UploadsClient(channel);
            var scans = new V1.Scans.ScansClient(channel);
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until)
            {
                var n = Interlocked.Increment(ref _sequence);
                PhoneJpeg.Stamp(_photo, marker, (index * 1_000_000L) + n, 10);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await UploadScenario.UploadOnceAsync(uploads, [], $"victim-{index}-{n}", _photo, 64 * 1024);
                    if (record is not null)
                    {
                        Figures.Record(record.Photos, started);
                    }

                    var batch = new RecordScansRequest();
                    for (var i = 0; i < 10; i++)
                    {
                        batch.Events.Add(Scan($"victim-{index}-{n}-{i}", (n * 10) + i));
                    }

                    started = Stopwatch.GetTimestamp();
                    await scans.RecordScansAsync(batch);
                    if (record is not null)
                    {
                        Figures.Record(record.Scans, started);
                    }
                }
                catch (Exception e) when (e is RpcException or InvalidOperationException)
                {
                    if (record is not null)
                    {
                        Interlocked.Increment(ref record.Failures);
                    }
                }

                await Task.Delay(250);
            }
        }

        public void Dispose() => channel.Dispose();
    }

    private static Edge.V1.ScanEvent Scan(string id, long sequence) => new()
    {
        EventId = id,
        Sequence = sequence,
        Barcode = "1Z999AA10123456784",
        PackageId = "P-1",
        RouteId = "R-0001",
        Type = ScanType.OutForDelivery,
        ScannedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
    };

    /// <summary>The three attackers, with what the gateway did to them.</summary>
    private sealed class Attack(int port, int idleTarget, GrpcChannel flooder, GrpcChannel emptyUploader)
    {
        private long _idleOpen;
        private long _idleOpened;
        private long _idleClosedByGateway;
        private long _idleRefused;
        private long _scansSent;
        private long _scansAccepted;
        private long _scanCallsRefused;
        private long _emptyStarts;
        private long _emptyRefused;

        public async Task RunAsync(CancellationToken stop)
        {
            var idle = Enumerable.Range(0, idleTarget).Select(_ => HoldIdleAsync(stop));
            await Task.WhenAll([.. idle, FloodScansAsync(stop), EmptyUploadsAsync(stop)]);
            flooder.Dispose();
            emptyUploader.Dispose();
        }

        public async Task AtTheLimitAsync(TimeSpan guard)
        {
            var until = DateTime.UtcNow + guard;
            while (Interlocked.Read(ref _idleOpen) < idleTarget && DateTime.UtcNow < until)
            {
                await Task.Delay(100);
            }
        }

        public void Report(BenchmarkReport report)
        {
            report.Add("idle connections held (target)", idleTarget, "connections");
            report.Add("idle connections opened", _idleOpened, "connections");
            report.Add("idle connections closed by the gateway (no preface in time, or over the limit)", _idleClosedByGateway, "connections");
            report.Add("idle connections that failed to connect", _idleRefused, "connections");
            report.Add("flooder scan events sent", _scansSent, "events");
            report.Add("flooder scan events accepted", _scansAccepted, "events");
            report.Add("flooder RecordScans calls refused RESOURCE_EXHAUSTED", _scanCallsRefused, "calls");
            report.Add("empty upload starts tried", _emptyStarts, "calls");
            report.Add("empty upload starts refused RESOURCE_EXHAUSTED", _emptyRefused, "calls");
        }

        private async Task HoldIdleAsync(CancellationToken stop)
        {
            var buffer = new byte[16];
            while (!stop.IsCancellationRequested)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), stop);
                    Interlocked.Increment(ref _idleOpened);
                    Interlocked.Increment(ref _idleOpen);
                    try
                    {
                        // The gateway aborts a connection without a preface: a reset, or an end of stream.
                        await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                        Interlocked.Increment(ref _idleClosedByGateway);
                    }
                    catch (SocketException)
                    {
                        Interlocked.Increment(ref _idleClosedByGateway);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _idleOpen);
                    }
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref _idleRefused);
                    await Task.Delay(50, CancellationToken.None);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        // Ten times the default rate (50 events/s): a batch of 50 every 100 ms.
        private async Task FloodScansAsync(CancellationToken stop)
        {
            var scans = new V1.Scans.ScansClient(flooder);
            for (long batch = 0; !stop.IsCancellationRequested; batch++)
            {
                var request = new RecordScansRequest();
                for (var i = 0; i < 50; i++)
                {
                    request.Events.Add(Scan($"flood-{batch}-{i}", (batch * 50) + i));
                }

                var next = Task.Delay(100, CancellationToken.None);
                Interlocked.Add(ref _scansSent, 50);
                try
                {
                    var response = await scans.RecordScansAsync(request, cancellationToken: stop);
                    Interlocked.Add(ref _scansAccepted, response.Results.Count(r => r.Outcome == ScanResult.Types.Outcome.Accepted));
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref _scanCallsRefused);
                }
                catch (RpcException) when (stop.IsCancellationRequested)
                {
                    return;
                }

                await next;
            }
        }

        // Starts uploads of 30 MB and drops each once it is answered, as fast as the gateway answers.
        private async Task EmptyUploadsAsync(CancellationToken stop)
        {
            var uploads = new V1.Uploads.UploadsClient(emptyUploader);
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                Interlocked.Increment(ref _emptyStarts);
                try
                {
                    using var call = uploads.Upload(cancellationToken: stop);
                    await call.RequestStream.WriteAsync(new UploadRequest
                    {
                        Start = new UploadStart { UploadId = $"empty-{n}", Sha256 = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(n))), SizeBytes = 30_000_000 },
                    }, stop);
                    await call.ResponseStream.MoveNext(stop);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref _emptyRefused);
                    await Task.Delay(20, CancellationToken.None);
                }
                catch (RpcException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

using Edge.Shared;
using System.Diagnostics;
using System.Security.Cryptography;
using Core.V1;
using Edge.Gateway.Security;
using Edge.LoadTest.Uploads;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;

namespace Edge.LoadTest.Forwarding;

/// <summary>
/// Scans, proofs and a core outage against a gateway process (full stack, real photo pipeline) that hosts the core
/// simulator and forwards to it over gRPC.
/// <list type="bullet">
/// <item><c>scans</c>: RecordScans batches of 20 from many devices; events accepted per second.</item>
/// <item><c>proofs</c>: proofs per second, and time from SubmitProof to COMMITTED (seen on WatchReceipts).</item>
/// <item><c>outage</c>: the core down for <c>--outage-seconds</c> while scans arrive; backlog build-up and drain rates.</item>
/// </list>
/// </summary>
internal static class ForwardingScenario
{
    public static async Task<BenchmarkReport> RunAsync(string scenario, ScenarioArguments arguments)
    {
        var data = arguments.String("data") ?? Directory.CreateTempSubdirectory("edge-forward-bench-").FullName;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var port = UploadGatewayRole.FreePort();
        var corePort = UploadGatewayRole.FreePort();
        using var gateway = await UploadGatewayRole.StartProcessAsync(port, data, key, arguments.String("redis"),
            "--pipeline", "photos", "--core-port", corePort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-retry-delay", "00:00:01",
            "--redis-durability", arguments.String("redis-durability") ?? "Require");
        try
        {
            var signingKey = DeviceTokens.ResolveKey(new DeviceTokenOptions { SigningKey = key }, data, out _);
            var devices = arguments.Int("devices", 32);
            var headers = Enumerable.Range(0, devices).Select(i => new Metadata
            {
                { "authorization", "Bearer " + DeviceTokens.Mint(signingKey, new DeviceTokenOptions(), $"bench-device-{i}", "bench-driver", ["R-0001"], TimeSpan.FromHours(2), DateTimeOffset.UtcNow) },
            }).ToArray();
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            });
            // The core's lists grow to every event id of the run (a 10-minute outage: over a million).
            using var coreChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{corePort}", new GrpcChannelOptions { MaxReceiveMessageSize = null });
            var admin = new Admin.AdminClient(coreChannel);
            var report = new BenchmarkReport(scenario);
            report.Parameters["state"] = arguments.String("redis") is null ? "embedded (SQLite)" : "redis";
            report.Parameters["devices"] = devices.ToString(System.Globalization.CultureInfo.InvariantCulture);
            switch (scenario)
            {
                case "scans":
                    await ScansAsync(channel, headers, arguments, report);
                    break;
                case "proofs":
                    await ProofsAsync(channel, headers, admin, arguments, report);
                    break;
                default:
                    await OutageAsync(channel, headers, admin, arguments, report);
                    break;
            }

            await gateway.StandardInput.WriteLineAsync("quit");
            await gateway.WaitForExitAsync();
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

    private static async Task ScansAsync(GrpcChannel channel, Metadata[] headers, ScenarioArguments arguments, BenchmarkReport report)
    {
        var seconds = arguments.Int("seconds", 20);
        var client = new Edge.V1.Scans.ScansClient(channel);
        await SendScansAsync(client, headers, "warmup", TimeSpan.FromSeconds(3), CancellationToken.None);
        var stopwatch = Stopwatch.StartNew();
        var accepted = await SendScansAsync(client, headers, "run", TimeSpan.FromSeconds(seconds), CancellationToken.None);
        report.Parameters["batch"] = "20";
        report.Parameters["seconds"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        report.Add("scan events accepted", accepted / stopwatch.Elapsed.TotalSeconds, "events/s");
    }

    /// <summary>Each device sends batches of 20 back to back for the duration; returns the events accepted.</summary>
    private static async Task<long> SendScansAsync(Edge.V1.Scans.ScansClient client, Metadata[] headers, string tag, TimeSpan duration, CancellationToken cancellationToken)
    {
        long accepted = 0;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(headers.Select((header, device) => Task.Run(async () =>
        {
            for (var batch = 0; Stopwatch.GetTimestamp() < until && !cancellationToken.IsCancellationRequested; batch++)
            {
                var request = new RecordScansRequest();
                for (var i = 0; i < 20; i++)
                {
                    request.Events.Add(new Edge.V1.ScanEvent
                    {
                        EventId = $"{tag}-{device}-{batch}-{i}",
                        Sequence = (batch * 20) + i,
                        Barcode = "1Z999AA10123456784",
                        PackageId = "P-1",
                        RouteId = "R-0001",
                        Type = Edge.V1.ScanType.OutForDelivery,
                        ScannedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                    });
                }

                var response = await client.RecordScansAsync(request, headers: header);
                Interlocked.Add(ref accepted, response.Results.Count(r => r.Outcome == Edge.V1.ScanResult.Types.Outcome.Accepted));
            }
        })));
        return accepted;
    }

    private static async Task ProofsAsync(GrpcChannel channel, Metadata[] headers, Admin.AdminClient admin, ScenarioArguments arguments, BenchmarkReport report)
    {
        var total = arguments.Int("proofs", 2000);
        var concurrency = Math.Min(arguments.Int("concurrency", 16), headers.Length);
        var rate = arguments.Int("rate", 0);
        // A proof names only photos its own device uploaded: one photo per submitting device.
        var photos = await UploadPhotosAsync(channel, headers, concurrency, perDevice: true);
        var proofs = new Edge.V1.Proofs.ProofsClient(channel);

        // Like a driver: the route's manifest first; proofs close its first stop that allows photos, at the door.
        var manifest = (await new Edge.V1.Manifests.ManifestsClient(channel).GetManifestAsync(
            new Edge.V1.GetManifestRequest { RouteId = "R-0001" }, headers[0])).Manifest;
        var stop = manifest.Stops.First(s => !s.Confidential && !s.PhotoOptOut && s.Packages.Count > 0);

        // Each device watches its receipts; COMMITTED is when the core has the proof.
        var submitted = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var latencies = new LongHistogram(3_600_000_000L, 3);
        var committed = 0;
        var allCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopWatching = new CancellationTokenSource();
        var watches = new List<AsyncServerStreamingCall<ProofReceipt>>();
        for (var d = 0; d < concurrency; d++)
        {
            var watch = proofs.WatchReceipts(new WatchReceiptsRequest(), headers[d], cancellationToken: stopWatching.Token);
            await watch.ResponseHeadersAsync;
            watches.Add(watch);
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var receipt in watch.ResponseStream.ReadAllAsync(stopWatching.Token))
                    {
                        if (receipt.Status == ProofStatus.Committed && submitted.TryGetValue(receipt.ProofId, out var at))
                        {
                            lock (latencies)
                            {
                                latencies.RecordValue((Stopwatch.GetTimestamp() - at) * 1_000_000 / Stopwatch.Frequency);
                            }

                            if (Interlocked.Increment(ref committed) == total)
                            {
                                allCommitted.TrySetResult();
                            }
                        }
                    }
                }
                catch (RpcException)
                {
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        var stopwatch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(d => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                if (rate > 0)
                {
                    // Open loop: proof i is due at i / rate seconds, whether or not earlier ones are done.
                    var due = TimeSpan.FromSeconds(i / (double)rate) - stopwatch.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due);
                    }
                }

                var id = $"bench-proof-{i}";
                submitted[id] = Stopwatch.GetTimestamp();
                await proofs.SubmitProofAsync(new SubmitProofRequest
                {
                    ProofId = id,
                    RouteId = "R-0001",
                    StopId = stop.StopId,
                    PackageIds = { stop.Packages[0].PackageId },
                    DeliveredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                    Location = new Edge.V1.DeviceLocation { Latitude = stop.Location.Latitude, Longitude = stop.Location.Longitude, AccuracyMeters = 6 },
                    PlaceLeft = Edge.V1.PlaceLeft.FrontDoor,
                    PhotoSha256 = { photos[d] },
                }, headers[d]);
            }
        })));
        var submitElapsed = stopwatch.Elapsed;
        await allCommitted.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var elapsed = stopwatch.Elapsed;
        await stopWatching.CancelAsync();
        foreach (var watch in watches)
        {
            watch.Dispose();
        }

        var atCore = (await admin.ListProofsAsync(new Empty())).AcceptedProofIds.Count;
        report.Parameters["proofs"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        report.Parameters["concurrency"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
        report.Parameters["offered rate"] = rate > 0 ? $"{rate} proofs/s" : "as fast as the submitters go";
        report.Add("proofs submitted", total / submitElapsed.TotalSeconds, "proofs/s");
        report.Add("proofs committed at the core", total / elapsed.TotalSeconds, "proofs/s");
        report.AddPercentiles("submit to COMMITTED", latencies);
        report.Add("proofs the core holds", atCore, "");
    }

    private static async Task OutageAsync(GrpcChannel channel, Metadata[] headers, Admin.AdminClient admin, ScenarioArguments arguments, BenchmarkReport report)
    {
        var outage = TimeSpan.FromSeconds(arguments.Int("outage-seconds", 600));
        var rate = arguments.Int("rate", 2000);
        var client = new Edge.V1.Scans.ScansClient(channel);
        await admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults(), DownFor = Duration.FromTimeSpan(TimeSpan.FromHours(10)) });

        // Scans arrive at a steady depot rate while the core is down: the outbox grows.
        var stopwatch = Stopwatch.StartNew();
        long sent = 0;
        var batchesPerSecond = rate / 20;
        var tick = TimeSpan.FromSeconds(1.0 / batchesPerSecond);
        var device = 0;
        while (stopwatch.Elapsed < outage)
        {
            var due = (long)(stopwatch.Elapsed.TotalSeconds * batchesPerSecond);
            var batches = new List<Task>();
            for (; sent / 20 < due; sent += 20)
            {
                var request = new RecordScansRequest();
                for (var i = 0; i < 20; i++)
                {
                    request.Events.Add(new Edge.V1.ScanEvent
                    {
                        EventId = $"outage-{sent + i}",
                        Barcode = "1Z999AA10123456784",
                        RouteId = "R-0001",
                        Type = Edge.V1.ScanType.Loaded,
                        ScannedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                    });
                }

                batches.Add(client.RecordScansAsync(request, headers[device++ % headers.Length]).ResponseAsync);
            }

            await Task.WhenAll(batches);
            await Task.Delay(tick);
        }

        var buildUp = sent / stopwatch.Elapsed.TotalSeconds;
        await admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults() });
        var drain = Stopwatch.StartNew();
        int atCore;
        while ((atCore = (await admin.ListScansAsync(new Empty())).AcceptedEventIds.Count) < sent)
        {
            await Task.Delay(sent > 100_000 ? 1000 : 250);
        }

        var drainRate = atCore / drain.Elapsed.TotalSeconds;
        report.Parameters["outage_seconds"] = outage.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        report.Parameters["arrival_rate"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture);
        report.Add("backlog at the end of the outage", sent, "events");
        report.Add("backlog build-up rate", buildUp, "events/s");
        report.Add("drain rate after the core returned", drainRate, "events/s");
        report.Add("drain time", drain.Elapsed.TotalSeconds, "s");
        report.Add("drain / build-up", drainRate / buildUp, "x");
    }

    /// <summary>Uploads <paramref name="count"/> distinct photos; photo i from device i when <paramref name="perDevice"/>, else all from device 0.</summary>
    internal static async Task<string[]> UploadPhotosAsync(GrpcChannel channel, Metadata[] headers, int count, bool perDevice = false)
    {
        var uploads = new Edge.V1.Uploads.UploadsClient(channel);
        var digests = new string[count];
        for (var i = 0; i < count; i++)
        {
            var bytes = DoorstepJpeg(1200 + i, 900);
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            using var call = uploads.Upload(headers[perDevice ? i : 0]);
            await call.RequestStream.WriteAsync(new UploadRequest { Start = new UploadStart { UploadId = $"bench-photo-{i}", Sha256 = sha, SizeBytes = bytes.Length, ContentType = "image/jpeg" } });
            for (var offset = 0; offset < bytes.Length; offset += 65536)
            {
                var length = Math.Min(65536, bytes.Length - offset);
                var slice = bytes.AsSpan(offset, length);
                await call.RequestStream.WriteAsync(new UploadRequest
                {
                    Chunk = new UploadChunk { Offset = offset, Data = Google.Protobuf.ByteString.CopyFrom(slice), Crc32C = Crc32C.Compute(slice) },
                });
            }

            await call.RequestStream.CompleteAsync();
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }

            digests[i] = sha;
        }

        return digests;
    }

    /// <summary>A noisy plasma "doorstep" JPEG; sizes differ so each photo is a distinct blob.</summary>
    private static byte[] DoorstepJpeg(int width, int height)
    {
        ImageMagick.MagickNET.SetRandomSeed((ulong)width);
        using var image = new ImageMagick.MagickImage("plasma:#6b8cae-#c9a77c", (uint)width, (uint)height);
        image.AddNoise(ImageMagick.NoiseType.Gaussian, 0.14);
        image.Quality = 90;
        return image.ToByteArray(ImageMagick.MagickFormat.Jpeg);
    }
}

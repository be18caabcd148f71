using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Edge.Gateway.Security;
using Edge.Gateway.Uploads;
using Edge.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;

namespace Edge.LoadTest.Uploads;

/// <summary>
/// N concurrent uploads of a file in fixed-size chunks over loopback against a gateway process. Reports MB/s,
/// uploads/s, upload time percentiles, the gateway's peak RSS, and what it allocated per MB received.
/// </summary>
internal static class UploadScenario
{
    public const string Name = "uploads";

    public static async Task<int> RunAsync(IConfiguration arguments)
    {
        var concurrency = int.Parse(arguments["concurrency"] ?? "32", System.Globalization.CultureInfo.InvariantCulture);
        var total = int.Parse(arguments["uploads"] ?? "480", System.Globalization.CultureInfo.InvariantCulture);
        var size = int.Parse(arguments["size"] ?? "3000000", System.Globalization.CultureInfo.InvariantCulture);
        var chunk = int.Parse(arguments["chunk"] ?? "65536", System.Globalization.CultureInfo.InvariantCulture);
        var data = arguments["data"] ?? Directory.CreateTempSubdirectory("edge-upload-bench-").FullName;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var port = FreePort();

        Console.WriteLine($"uploads: {total} x {size:N0} bytes in {chunk / 1024} KiB chunks, {concurrency} at a time, data in {data}");
        using var gateway = Process.Start(new ProcessStartInfo("dotnet",
            [typeof(UploadScenario).Assembly.Location, UploadGatewayRole.Name, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--data", data, "--signing-key", key, .. (arguments["redis"] is { } redis ? new[] { "--redis", redis } : [])])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            if (await gateway.StandardOutput.ReadLineAsync() != "ready")
            {
                Console.Error.WriteLine("the gateway did not start");
                return 1;
            }

            // One device per concurrent upload, as in a depot: the gateway limits uploads per device.
            var signingKey = DeviceTokens.ResolveKey(new DeviceTokenOptions { SigningKey = key }, data, out _);
            var headers = Enumerable.Range(0, concurrency).Select(i => new Metadata
            {
                { "authorization", "Bearer " + DeviceTokens.Mint(signingKey, new DeviceTokenOptions(), $"bench-device-{i}", "bench-driver", [], TimeSpan.FromHours(2), DateTimeOffset.UtcNow) },
            }).ToArray();
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            });
            var client = new Edge.V1.Uploads.UploadsClient(channel);

            // Warm up (JIT, connections, SQLite), then measure.
            await RunUploadsAsync(client, headers, Math.Min(concurrency, 8), Math.Min(concurrency, 8) * 2, size, chunk, seed: 1_000_000, BenchmarkReport.NewLatencyHistogram());
            await gateway.StandardInput.WriteLineAsync("mark");
            await gateway.StandardOutput.ReadLineAsync();

            var latencies = BenchmarkReport.NewLatencyHistogram();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime + gateway.TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            await RunUploadsAsync(client, headers, concurrency, total, size, chunk, seed: 0, latencies);
            var elapsed = stopwatch.Elapsed;
            gateway.Refresh();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime + gateway.TotalProcessorTime - cpuBefore;

            await gateway.StandardInput.WriteLineAsync("report");
            var server = JsonSerializer.Deserialize<Dictionary<string, long>>((await gateway.StandardOutput.ReadLineAsync())!)!;
            var megabytes = (double)total * size / 1_000_000;
            var chunks = (double)total * Math.Ceiling((double)size / chunk);

            var report = new BenchmarkReport(Name)
                .Add("concurrency", concurrency, "", 0)
                .Add("uploads", total, "", 0)
                .Add("object_bytes", size, "B", 0)
                .Add("chunk_bytes", chunk, "B", 0)
                .Add("throughput_mb_per_s", megabytes / elapsed.TotalSeconds, "MB/s")
                .Add("uploads_per_s", total / elapsed.TotalSeconds, "uploads/s")
                .AddLatency("upload", latencies)
                .Add("cpu_ms_per_mb_client_and_gateway", cpu.TotalMilliseconds / megabytes, "ms", 2)
                .Add("gateway_peak_rss_mb", server["peak_rss_bytes"] / 1_048_576.0, "MiB")
                .Add("gateway_allocated_bytes_per_mb", server["allocated_bytes"] / megabytes, "B")
                .Add("gateway_loh_bytes_per_chunk", server["large_object_heap_bytes"] / chunks, "B", 0)
                .Add("gateway_gen2_collections", server["gen2_collections"], "", 0);
            report.Print(Console.Out);
            Console.WriteLine($"saved {report.Save()}");
            await gateway.StandardInput.WriteLineAsync("quit");
            await gateway.WaitForExitAsync();
            return 0;
        }
        finally
        {
            if (!gateway.HasExited)
            {
                gateway.Kill(entireProcessTree: true);
            }

            if (arguments["data"] is null)
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task RunUploadsAsync(Edge.V1.Uploads.UploadsClient client, Metadata[] headers, int concurrency, int total, int size, int chunk, int seed, LongHistogram latencies)
    {
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var buffer = new byte[size];
            new Random(seed + worker).NextBytes(buffer);
            while (Interlocked.Increment(ref next) is var n && n < total)
            {
                // Distinct bytes per upload so that nothing is deduplicated.
                BitConverter.TryWriteBytes(buffer, seed + n);
                var started = Stopwatch.GetTimestamp();
                await UploadOnceAsync(client, headers[worker], $"bench-{seed}-{n}", buffer, chunk);
                var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                lock (latencies)
                {
                    latencies.RecordValue(micros);
                }
            }
        });
        await Task.WhenAll(workers);
    }

    private static async Task UploadOnceAsync(Edge.V1.Uploads.UploadsClient client, Metadata headers, string uploadId, byte[] data, int chunk)
    {
        using var call = client.Upload(headers);
        await call.RequestStream.WriteAsync(new UploadRequest
        {
            Start = new UploadStart { UploadId = uploadId, Sha256 = Convert.ToHexStringLower(SHA256.HashData(data)), SizeBytes = data.Length, ContentType = "image/jpeg" },
        });
        if (!await call.ResponseStream.MoveNext() || call.ResponseStream.Current.Started is null)
        {
            throw new InvalidOperationException("no UploadStarted");
        }

        var reader = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
                if (call.ResponseStream.Current.Completed is not null)
                {
                    return;
                }

                if (call.ResponseStream.Current.Rejected is { } rejected)
                {
                    throw new InvalidOperationException($"chunk refused: {rejected.Message}");
                }
            }

            throw new InvalidOperationException("the stream ended without completion");
        });

        for (var offset = 0; offset < data.Length; offset += chunk)
        {
            var slice = data.AsMemory(offset, Math.Min(chunk, data.Length - offset));
            await call.RequestStream.WriteAsync(new UploadRequest
            {
                Chunk = new UploadChunk { Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(slice), Crc32C = Crc32C.Compute(slice.Span) },
            });
        }

        await call.RequestStream.CompleteAsync();
        await reader;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using Edge.Shared;
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

    public static async Task<BenchmarkReport> RunAsync(ScenarioArguments arguments)
    {
        var concurrency = arguments.Int("concurrency", 32);
        var total = arguments.Int("uploads", 480);
        var size = arguments.Int("size", 3000000);
        var chunk = arguments.Int("chunk", 65536);
        var data = arguments.String("data") ?? Directory.CreateTempSubdirectory("edge-upload-bench-").FullName;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var port = UploadGatewayRole.FreePort();
        var photos = arguments.String("photos") == "true";
        var template = photos ? PhotoScenario.MakePhoneJpeg("upload-0000000000") : null;
        if (template is not null)
        {
            size = template.Length;
        }

        Console.WriteLine($"uploads: {total} x {size:N0} bytes in {chunk / 1024} KiB chunks, {concurrency} at a time, data in {data}");
        using var gateway = await UploadGatewayRole.StartProcessAsync(port, data, key, arguments.String("redis"), "--pipeline", photos ? "photos" : "passthrough", "--count-large-allocations", "true",
            "--redis-durability", arguments.String("redis-durability") ?? "Require");
        try
        {

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
            await RunUploadsAsync(client, headers, Math.Min(concurrency, 8), Math.Min(concurrency, 8) * 2, size, chunk, template, seed: 1_000_000, new LongHistogram(3_600_000_000L, 3));
            await gateway.StandardInput.WriteLineAsync("mark");
            await gateway.StandardOutput.ReadLineAsync();

            var latencies = new LongHistogram(3_600_000_000L, 3);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime + gateway.TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            await RunUploadsAsync(client, headers, concurrency, total, size, chunk, template, seed: 0, latencies);
            var elapsed = stopwatch.Elapsed;
            gateway.Refresh();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime + gateway.TotalProcessorTime - cpuBefore;

            var server = JsonSerializer.Deserialize<Dictionary<string, long>>(await UploadGatewayRole.ReportAsync(gateway))!;
            var megabytes = (double)total * size / 1_000_000;
            var chunks = (double)total * Math.Ceiling((double)size / chunk);

            var report = new BenchmarkReport(Name);
            report.Parameters["concurrency"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Parameters["uploads"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Parameters["object_bytes"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Parameters["chunk_bytes"] = chunk.ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Parameters["payload"] = photos ? "4000x3000 phone JPEG through the photo pipeline" : "random bytes, pass-through pipeline";
            report.Parameters["state"] = arguments.String("redis") is null ? "embedded (SQLite)" : "redis";
            report.Parameters["gateway_gc"] = server["server_gc"] == 1 ? "server" : "workstation";
            report.Add("throughput", megabytes / elapsed.TotalSeconds, "MB/s");
            report.Add("uploads per second", total / elapsed.TotalSeconds, "uploads/s");
            report.AddPercentiles("upload time", latencies);
            report.Add("CPU per MB, client and gateway", cpu.TotalMilliseconds / megabytes, "ms");
            report.Add("gateway CPU per MB", server["cpu_ms"] / megabytes, "ms");
            report.Add("gateway syncs (fsync + commit) per upload", (double)server["syncs"] / total, "");
            report.Add("gateway peak RSS", server["peak_rss_bytes"] / 1_048_576.0, "MiB");
            report.Add("gateway allocated per MB received", server["allocated_bytes"] / megabytes, "B");
            report.Add("gateway large-object-heap bytes per chunk", server["large_object_heap_bytes"] / chunks, "B");
            report.Add("gateway gen2 collections", server["gen2_collections"], "");
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

    private static async Task RunUploadsAsync(Edge.V1.Uploads.UploadsClient client, Metadata[] headers, int concurrency, int total, int size, int chunk, byte[]? template, int seed, LongHistogram latencies)
    {
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var buffer = new byte[size];
            new Random(seed + worker).NextBytes(buffer);
            var marker = template is null ? -1 : template.AsSpan().IndexOf("upload-0000000000"u8) + 7;
            template?.CopyTo(buffer, 0);
            while (Interlocked.Increment(ref next) is var n && n < total)
            {
                // Distinct bytes per upload so that nothing is deduplicated: for photos, in the JPEG comment.
                if (marker > 0)
                {
                    System.Text.Encoding.ASCII.GetBytes((seed + n).ToString("D10", System.Globalization.CultureInfo.InvariantCulture), buffer.AsSpan(marker));
                }
                else
                {
                    BitConverter.TryWriteBytes(buffer, seed + n);
                }

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

    internal static async Task UploadOnceAsync(Edge.V1.Uploads.UploadsClient client, Metadata headers, string uploadId, byte[] data, int chunk)
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
}

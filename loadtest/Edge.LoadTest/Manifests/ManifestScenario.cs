using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Edge.Gateway.Security;
using Edge.LoadTest.Uploads;
using Edge.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Compression;
using HdrHistogram;

namespace Edge.LoadTest.Manifests;

/// <summary>
/// GetManifest served from the cache (a 120-stop manifest, full body every time) against a gateway process, and in
/// the same run the trivial unary method on the same process (grpc.health.v1.Health/Check) as the yardstick. Rounds
/// alternate between the two so that noise from other work on the machine falls on both alike. The client takes
/// responses as bytes without parsing them, so the figures are the gateway's rather than the test client's. The
/// not-modified answer (what a device that is up to date gets) is measured too.
/// </summary>
internal static class ManifestScenario
{
    public const string Name = "manifests";

    private const string Route = "R-0001";

    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>Takes an answer by its length only: the measured calls neither parse nor copy what they receive.</summary>
    private static readonly Marshaller<AnswerSize> AnswerLength = new(
        static (_, _) => throw new NotSupportedException("requests are bytes"), static context => new AnswerSize(context.PayloadLength));

    public static async Task<BenchmarkReport> RunAsync(ScenarioArguments arguments)
    {
        var concurrency = arguments.Int("concurrency", 50);
        var connections = arguments.Int("connections", 1);
        var seconds = arguments.Int("seconds", 5);
        var rounds = arguments.Int("rounds", 3);
        var warmup = arguments.Int("warmup", 15);
        var redis = arguments.String("redis");
        var encoding = arguments.String("encoding") ?? "gzip";
        // For profiling one path: only this method is measured (hit, health or not-modified).
        var only = arguments.String("only");
        if (only is not (null or "hit" or "health" or "not-modified"))
        {
            throw new ArgumentException($"--only must be hit, health or not-modified, not '{only}'");
        }

        var compression = encoding switch
        {
            // The callers offer gzip and take the compressed answer as bytes, as they take protobuf without parsing it.
            "gzip" => new List<ICompressionProvider> { new GzipBytes() },
            // The callers offer gzip and inflate every answer, as Grpc.Net.Client does by default.
            "gzip-inflate" => null,
            "identity" => [],
            _ => throw new ArgumentException($"--encoding must be gzip, gzip-inflate or identity, not '{encoding}'"),
        };
        var data = Directory.CreateTempSubdirectory("edge-manifest-bench-").FullName;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var port = UploadGatewayRole.FreePort();

        Console.WriteLine($"manifests: {concurrency} callers, {rounds} rounds of {seconds} s per method, state {(redis is null ? "embedded" : "redis")}");
        using var gateway = await UploadGatewayRole.StartProcessAsync(port, data, key, redis);
        try
        {
            var signingKey = DeviceTokens.ResolveKey(new DeviceTokenOptions { SigningKey = key }, data, out _);
            var headers = new Metadata
            {
                { "authorization", "Bearer " + DeviceTokens.Mint(signingKey, new DeviceTokenOptions(), "bench-device", "bench-driver", [Route], TimeSpan.FromHours(2), DateTimeOffset.UtcNow) },
            };
            // The callers share --connections HTTP/2 connections (default 1; handhelds each hold their own, which
            // makes a trivial method cheaper still).
            var channels = Enumerable.Range(0, Math.Max(1, connections)).Select(_ => GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
            {
                // A receive window that holds a round of answers, so callers wait on the gateway, not on WINDOW_UPDATEs.
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, InitialHttp2StreamWindowSize = 1024 * 1024 },
                MaxReceiveMessageSize = 16 * 1024 * 1024,
                CompressionProviders = compression,
            })).ToArray();
            using var closeChannels = new ChannelSet(channels);
            var invokers = channels.Select(c => c.CreateCallInvoker()).ToArray();
            var invoker = invokers[0];

            var getManifest = new Method<byte[], AnswerSize>(MethodType.Unary, "edge.v1.Manifests", "GetManifest", RawBytes, AnswerLength);
            var healthCheck = new Method<byte[], AnswerSize>(MethodType.Unary, "grpc.health.v1.Health", "Check", RawBytes, AnswerLength);
            var getManifestParsed = new Method<byte[], byte[]>(MethodType.Unary, "edge.v1.Manifests", "GetManifest", RawBytes, RawBytes);
            var manifestRequest = new GetManifestRequest { RouteId = Route }.ToByteArray();
            var healthRequest = new HealthCheckRequest().ToByteArray();

            // The first call fills the cache from the core; check what comes back once, parsed, on a channel that inflates.
            using var checkChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
            var first = GetManifestResponse.Parser.ParseFrom(await checkChannel.CreateCallInvoker().AsyncUnaryCall(getManifestParsed, null, new CallOptions(headers), manifestRequest));
            if (first.Manifest is null || first.Manifest.Stops.Count == 0)
            {
                throw new InvalidOperationException("GetManifest returned no manifest");
            }

            var responseBytes = first.CalculateSize();

            // What one answer weighs on the wire with this --encoding: offered the same encodings, taken uninflated.
            using var wireChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
            {
                MaxReceiveMessageSize = 16 * 1024 * 1024,
                CompressionProviders = encoding == "identity" ? [] : [new GzipBytes()],
            });
            var wireBytes = (await wireChannel.CreateCallInvoker().AsyncUnaryCall(getManifest, null, new CallOptions(headers), manifestRequest)).Bytes;
            var notModifiedRequest = new GetManifestRequest { RouteId = Route, KnownVersion = first.Version }.ToByteArray();

            // Warm up every measured path (connections, and long enough for tiered compilation to finish), then
            // alternate measured rounds.
            for (var i = 0; i < 3; i++)
            {
                await RunAsync(invokers, getManifest, manifestRequest, headers, concurrency, TimeSpan.FromSeconds(warmup / 9.0), new LongHistogram(60_000_000L, 3));
                await RunAsync(invokers, healthCheck, healthRequest, new Metadata(), concurrency, TimeSpan.FromSeconds(warmup / 9.0), new LongHistogram(60_000_000L, 3));
                await RunAsync(invokers, getManifest, notModifiedRequest, headers, concurrency, TimeSpan.FromSeconds(warmup / 9.0), new LongHistogram(60_000_000L, 3));
            }

            var manifest = new Tally(getManifest, manifestRequest, headers);
            var health = new Tally(healthCheck, healthRequest, new Metadata());
            var notModified = new Tally(getManifest, notModifiedRequest, headers);
            Tally[] measured = only is null ? [manifest, health, notModified] : [Pick(only, manifest, health, notModified)];
            var gatewayGc = "unknown";
            for (var round = 0; round < rounds; round++)
            {
                foreach (var tally in measured)
                {
                    await gateway.StandardInput.WriteLineAsync("mark");
                    await gateway.StandardOutput.ReadLineAsync();
                    var cpuBefore = (Gateway: gateway.TotalProcessorTime, Client: ProcessFigures.CpuTime());
                    var (calls, elapsed) = await RunAsync(invokers, tally.Method, tally.Request, tally.Headers, concurrency, TimeSpan.FromSeconds(seconds), tally.Latencies);
                    using (var figures = JsonDocument.Parse(await UploadGatewayRole.ReportAsync(gateway)))
                    {
                        tally.GatewayAllocated += figures.RootElement.GetProperty("allocated_bytes").GetInt64();
                        gatewayGc = figures.RootElement.GetProperty("server_gc").GetInt64() == 1 ? "server" : "workstation";
                    }

                    tally.Calls += calls;
                    tally.Time += elapsed;
                    tally.GatewayCpu += gateway.TotalProcessorTime - cpuBefore.Gateway;
                    tally.ClientCpu += ProcessFigures.CpuTime() - cpuBefore.Client;
                }
            }

            var (manifestRate, healthRate) = (manifest.Rate, health.Rate);
            var report = new BenchmarkReport(Name);
            report.Parameters["concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
            report.Parameters["connections"] = connections.ToString(CultureInfo.InvariantCulture);
            report.Parameters["rounds"] = $"{rounds} x {seconds} s per method after {warmup} s of warm-up";
            report.Parameters["stops"] = first.Manifest.Stops.Count.ToString(CultureInfo.InvariantCulture);
            report.Parameters["response_bytes"] = responseBytes.ToString(CultureInfo.InvariantCulture);
            report.Parameters["encoding"] = encoding;
            report.Parameters["message_bytes_on_the_wire"] = wireBytes.ToString(CultureInfo.InvariantCulture);
            report.Parameters["gateway_gc"] = gatewayGc;
            report.Parameters["state"] = redis is null ? "embedded (memory cache)" : "redis (memory + Redis cache)";
            if (manifest.Calls > 0 && health.Calls > 0)
            {
                report.Add("GetManifest rate / Health/Check rate", 100 * manifestRate / healthRate, "%");
            }

            foreach (var (name, tally) in new[] { ("GetManifest (cache hit)", manifest), ("Health/Check", health), ("GetManifest not-modified", notModified) })
            {
                if (tally.Calls == 0)
                {
                    continue; // not measured (--only)
                }

                report.Add($"{name} rate", tally.Rate, "requests/s");
                report.AddPercentiles($"{name} latency", tally.Latencies);
                report.Add($"{name} gateway CPU per call", tally.GatewayCpu.TotalMicroseconds / tally.Calls, "us");
                report.Add($"{name} client CPU per call", tally.ClientCpu.TotalMicroseconds / tally.Calls, "us");
                report.Add($"{name} gateway allocations per call", (double)tally.GatewayAllocated / tally.Calls, "bytes");
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

            Directory.Delete(data, recursive: true);
        }
    }

    private static Tally Pick(string only, Tally hit, Tally health, Tally notModified) => only switch
    {
        "hit" => hit,
        "health" => health,
        _ => notModified,
    };

    /// <summary><paramref name="concurrency"/> callers, each calling back to back for <paramref name="duration"/>.</summary>
    private static async Task<(long Calls, TimeSpan Elapsed)> RunAsync(
        CallInvoker[] invokers, Method<byte[], AnswerSize> method, byte[] request, Metadata headers, int concurrency, TimeSpan duration, LongHistogram latencies)
    {
        long calls = 0;
        var stopwatch = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, concurrency).Select(caller => Task.Run(async () =>
        {
            var invoker = invokers[caller % invokers.Length];
            var local = new LongHistogram(60_000_000L, 3);
            long count = 0;
            while (stopwatch.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await invoker.AsyncUnaryCall(method, null, new CallOptions(headers), request);
                local.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                count++;
            }

            lock (latencies)
            {
                latencies.Add(local);
            }

            Interlocked.Add(ref calls, count);
        }));
        await Task.WhenAll(callers);
        return (calls, stopwatch.Elapsed);
    }

    private sealed record AnswerSize(int Bytes);

    /// <summary>One measured method: what is sent, and the calls, time, CPU and latencies summed over its rounds.</summary>
    private sealed class Tally(Method<byte[], AnswerSize> method, byte[] request, Metadata headers)
    {
        public Method<byte[], AnswerSize> Method => method;

        public byte[] Request => request;

        public Metadata Headers => headers;

        public LongHistogram Latencies { get; } = new(60_000_000L, 3);

        public long Calls { get; set; }

        public TimeSpan Time { get; set; }

        public TimeSpan GatewayCpu { get; set; }

        public TimeSpan ClientCpu { get; set; }

        public long GatewayAllocated { get; set; }

        public double Rate => Calls / Time.TotalSeconds;
    }

    /// <summary>Offers gzip and hands the compressed message on as it came.</summary>
    private sealed class GzipBytes : ICompressionProvider
    {
        public string EncodingName => "gzip";

        public Stream CreateCompressionStream(Stream stream, System.IO.Compression.CompressionLevel? compressionLevel)
            => new System.IO.Compression.GZipStream(stream, compressionLevel ?? System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);

        public Stream CreateDecompressionStream(Stream stream) => stream;
    }

    private sealed class ChannelSet(GrpcChannel[] channels) : IDisposable
    {
        public void Dispose()
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }
}

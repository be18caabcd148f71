using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Edge.Client;
using Edge.Fleet.Devices;
using Edge.Fleet.Gateway;
using Edge.Fleet.Links;
using Edge.LoadTest;
using Edge.LoadTesting;

namespace Edge.Fleet.Weaklink;

/// <summary>
/// One photo of exactly <c>--photo-bytes</c> uploaded by the SDK to a gateway, and the same bytes sent over plain TCP
/// to a <see cref="TcpSink"/> across the same link, one after the other; the ratio of the two times is the SDK's
/// overhead on that link. Cuts (<c>--cut-every</c>) go through an in-process proxy between the SDK and the link:
/// <c>reset</c> resets both ends, <c>half-open</c> freezes the connection, leaves the gateway's socket open and tells
/// the SDK the network changed. Bytes sent again are read off the wire by the proxy.
/// </summary>
internal static class WeaklinkUpload
{
    public static async Task<int> RunAsync(ScenarioArguments arguments)
    {
        var gateway = new Uri(arguments.String("gateway") ?? "http://192.0.2.2:5080");
        var sink = IPEndPoint.Parse(arguments.String("sink") ?? "192.0.2.2:5081");
        var key = Convert.FromBase64String(arguments.String("signing-key") ?? throw new ArgumentException("--signing-key is required"));
        var bytes = arguments.Int("photo-bytes", 3_000_000);
        var cutEvery = arguments.Duration("cut-every", TimeSpan.Zero);
        var mode = arguments.String("cut-mode") == "half-open" ? CutMode.HalfOpen : CutMode.Reset;
        var initialChunk = arguments.Int("initial-chunk-bytes", new EdgeClientOptions().InitialChunkBytes);
        var trace = arguments.String("trace") == "true";
        var label = arguments.String("case") ?? (cutEvery > TimeSpan.Zero ? $"cut-{mode}".ToLowerInvariant() : "no-cuts");
        var work = Directory.CreateTempSubdirectory("edge-weaklink-").FullName;
        try
        {
            const string Marker = "weaklink-photo-";
            var photo = PhoneJpeg.MakeExactly(bytes, Marker + new string('0', 13));
            PhoneJpeg.Stamp(photo, PhoneJpeg.MarkerOffset(photo, Marker) + Marker.Length, RandomNumberGenerator.GetInt32(int.MaxValue), 13);
            var path = Path.Combine(work, "photo.jpg");
            await File.WriteAllBytesAsync(path, photo);
            Console.WriteLine($"[{label}] photo {photo.Length:N0} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(photo))[..16]}...");

            var plain = await PlainTcpAsync(sink, photo);
            Console.WriteLine($"[{label}] plain TCP: {plain.TotalSeconds:0.00} s ({photo.Length * 8 / plain.TotalSeconds / 1e6:0.000} Mbit/s)");

            var (sdk, ledger, cuts, attempts) = await SdkUploadAsync(gateway, key, path, cutEvery, mode, initialChunk, trace, work);
            var record = ledger.Find(Convert.ToHexStringLower(SHA256.HashData(photo)));
            var averageChunk = ledger.Chunks == 0 ? 0 : (double)ledger.ChunkBytes / ledger.Chunks;
            var ratio = sdk.TotalSeconds / plain.TotalSeconds;
            Console.WriteLine($"[{label}] SDK upload: {sdk.TotalSeconds:0.00} s, ratio {ratio:0.000}, cuts {cuts}, streams {record?.Streams ?? 0}, " +
                $"re-sent {ledger.ResentBytes:N0} B ({(cuts == 0 ? 0 : ledger.ResentBytes / (double)cuts):N0} B per cut, average chunk {averageChunk:N0} B)");

            var report = new BenchmarkReport($"weaklink-{label}");
            report.Parameters["photo_bytes"] = photo.Length.ToString(CultureInfo.InvariantCulture);
            report.Parameters["gateway"] = gateway.ToString();
            report.Parameters["initial_chunk_bytes"] = initialChunk.ToString(CultureInfo.InvariantCulture);
            report.Parameters["cuts"] = cutEvery > TimeSpan.Zero ? $"every {cutEvery.TotalSeconds} s, {mode}" : "none";
            report.Parameters["link"] = Environment.GetEnvironmentVariable("WEAKLINK_DESCRIPTION") ?? "see loadtest/weaklink/run.sh";
            report.Add("plain TCP time", plain.TotalSeconds, "s");
            report.Add("plain TCP goodput", photo.Length * 8 / plain.TotalSeconds / 1e6, "Mbit/s");
            report.Add("SDK upload time", sdk.TotalSeconds, "s");
            report.Add("SDK goodput", photo.Length * 8 / sdk.TotalSeconds / 1e6, "Mbit/s");
            report.Add("ratio SDK / plain TCP", ratio, "x");
            report.Add("cuts during the upload", cuts, "");
            report.Add("upload streams", record?.Streams ?? 0, "");
            report.Add("SDK attempts", attempts, "");
            report.Add("chunk bytes sent", ledger.ChunkBytes, "B");
            report.Add("chunk bytes re-sent", ledger.ResentBytes, "B");
            report.Add("re-sent per cut", cuts == 0 ? 0 : ledger.ResentBytes / (double)cuts, "B");
            report.Add("average chunk", averageChunk, "B");
            report.Add("re-sent per cut, in chunks", cuts == 0 || averageChunk == 0 ? 0 : ledger.ResentBytes / (double)cuts / averageChunk, "chunks");
            report.Print(Console.Out);
            Console.WriteLine($"written {report.WriteJson(Path.Combine(GatewayProcess.RepositoryRoot(), "loadtest", "results"))}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<TimeSpan> PlainTcpAsync(IPEndPoint sink, byte[] payload)
    {
        var started = Stopwatch.GetTimestamp();
        using var socket = new Socket(sink.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(sink);
        var header = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(header, payload.Length);
        await socket.SendAsync(header);
        await socket.SendAsync(payload);
        await TcpSink.ReadExactlyAsync(socket, new byte[1]);
        return Stopwatch.GetElapsedTime(started);
    }

    private static async Task<(TimeSpan Elapsed, UploadLedger Ledger, int Cuts, int Attempts)> SdkUploadAsync(Uri gateway, byte[] key, string path,
        TimeSpan cutEvery, CutMode mode, int initialChunk, bool trace, string work)
    {
        // --trace true: the cuts and every acknowledgement, with the time since the upload began.
        var origin = Stopwatch.GetTimestamp();
        void Trace(string what)
        {
            if (trace)
            {
                Console.WriteLine($"  {Stopwatch.GetElapsedTime(origin).TotalSeconds,7:0.000} s  {what}");
            }
        }

        var upstream = new IPEndPoint(IPAddress.Parse(gateway.Host), gateway.Port);
        var ledger = new UploadLedger();
        await using var link = new LinkProxy(upstream, new LinkProfile(), new LinkCounters(), ledger);
        link.Start();
        var token = DeviceToken.Mint(key, "weaklink-device", "weaklink-driver", ["R-0001"], TimeSpan.FromHours(2));
        await using var client = new EdgeClient(new EdgeClientOptions
        {
            GatewayAddress = new Uri($"http://127.0.0.1:{link.Port}"),
            TokenProvider = _ => ValueTask.FromResult(token),
            OutboxDirectory = Path.Combine(work, "outbox"),
            OutboxKey = RandomNumberGenerator.GetBytes(32),
            MaxUploadAttempts = 1000,
            InitialChunkBytes = initialChunk,
        });

        using var done = new CancellationTokenSource();
        var cuts = 0;
        var cutting = Task.Run(async () =>
        {
            if (cutEvery <= TimeSpan.Zero)
            {
                return;
            }

            using var timer = new PeriodicTimer(cutEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(done.Token))
                {
                    if (link.Cut(mode) > 0)
                    {
                        Interlocked.Increment(ref cuts);
                        Trace($"cut ({mode})");
                        if (mode == CutMode.HalfOpen)
                        {
                            client.NotifyNetworkChanged();
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var attempts = 1;
        var started = Stopwatch.GetTimestamp();
        await client.UploadPhotoAsync(path, new ProgressCallback(p =>
        {
            attempts = Math.Max(attempts, p.Attempt);
            Trace($"acknowledged {p.CommittedBytes:N0} B (attempt {p.Attempt})");
        }), CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await done.CancelAsync();
        await cutting;
        return (elapsed, ledger, cuts, attempts);
    }

    private sealed class ProgressCallback(Action<UploadProgress> report) : IProgress<UploadProgress>
    {
        public void Report(UploadProgress value) => report(value);
    }
}

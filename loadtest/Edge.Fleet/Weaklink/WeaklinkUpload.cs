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
/// overhead on that link. Cuts are made either in the kernel by the weaklink's <c>cut.sh</c> (<c>--kernel-cuts</c>,
/// modes <c>both</c> and <c>client</c>: what a phone sees), the SDK connecting straight to the gateway; or by an
/// in-process proxy between the SDK and the link (modes <c>reset</c> and <c>half-open</c>), which also reads the bytes
/// sent again off the wire. Bytes on the wire are the link device's transmit counter (<c>--wire-device</c>).
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
        var kernelCuts = arguments.String("kernel-cuts");
        var mode = arguments.String("cut-mode") ?? (kernelCuts is null ? "reset" : "both");
        var initialChunk = arguments.Int("initial-chunk-bytes", new EdgeClientOptions().InitialChunkBytes);
        // A fixed chunk size instead of the SDK's own (to compare sizes on the same link); 0: the SDK's.
        var fixedChunk = arguments.Int("fixed-chunk-bytes", 0);
        var trace = arguments.String("trace") == "true";
        var wire = new WireCounter(arguments.String("wire-device") ?? "wl-c");
        var label = arguments.String("case") ?? (cutEvery > TimeSpan.Zero ? $"cut-{mode}" : "no-cuts");
        // --method tus: the same photo by the tus reference client to its reference server (--tus-endpoint), one PATCH
        // (--tus-chunk-bytes 0) or PATCHes of that size, retrying every --tus-retry-ms; kernel cuts on the tus port.
        var method = arguments.String("method") ?? "sdk";
        if (method is not ("sdk" or "tus") || (method == "tus" && cutEvery > TimeSpan.Zero && kernelCuts is null))
        {
            throw new ArgumentException("--method is sdk or tus; tus takes kernel cuts only (--kernel-cuts)");
        }

        var name = method == "tus" ? "tus" : "SDK";
        var cuts = cutEvery <= TimeSpan.Zero ? null : kernelCuts is not null
            ? new CutPlan(cutEvery, mode, kernelCuts, gateway.Port)
            : new CutPlan(cutEvery, mode == "half-open" ? "half-open" : "reset", null, gateway.Port);
        var work = Directory.CreateTempSubdirectory("edge-weaklink-").FullName;
        try
        {
            const string Marker = "weaklink-photo-";
            var photo = PhoneJpeg.MakeExactly(bytes, Marker + new string('0', 13));
            PhoneJpeg.Stamp(photo, PhoneJpeg.MarkerOffset(photo, Marker) + Marker.Length, RandomNumberGenerator.GetInt32(int.MaxValue), 13);
            var path = Path.Combine(work, "photo.jpg");
            await File.WriteAllBytesAsync(path, photo);
            Console.WriteLine($"[{label}] photo {photo.Length:N0} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(photo))[..16]}...");

            var tcpWire = wire.Sent();
            var plain = await PlainTcpAsync(sink, photo);
            var plainWire = Difference(wire.Sent(), tcpWire);
            Console.WriteLine($"[{label}] plain TCP: {plain.TotalSeconds:0.00} s ({photo.Length * 8 / plain.TotalSeconds / 1e6:0.000} Mbit/s), " +
                $"wire {Describe(plainWire)}");

            SdkRun run;
            (long Bytes, long FirstSent)? sdkWire;
            if (method == "tus")
            {
                var endpoint = new Uri(arguments.String("tus-endpoint") ?? "http://192.0.2.2:5082/files/");
                var tusChunk = arguments.Int("tus-chunk-bytes", 0);
                var client = arguments.String("tus-client") ?? Path.Combine(GatewayProcess.RepositoryRoot(), "loadtest", "weaklink", "tus", "client.mjs");
                var plan = cuts is { Kernel: true } ? new KernelCutPlan(cuts.Script!, cuts.Every, cuts.Mode) : null;
                var tus = await TusUpload.RunAsync(client, endpoint, path, tusChunk, TimeSpan.FromMilliseconds(arguments.Int("tus-retry-ms", 250)), plan,
                    wire.Sent, trace);
                run = new SdkRun(tus.Elapsed, null, tus.Cuts, tus.Patches, tus.MeanOutage);
                sdkWire = Difference(tus.WireAfter, tus.WireBefore);
            }
            else
            {
                await WarmUpAsync(gateway, key, work);
                var sdkWireBefore = wire.Sent();
                run = await SdkUploadAsync(gateway, key, path, cuts, initialChunk, fixedChunk, trace, work);
                sdkWire = Difference(wire.Sent(), sdkWireBefore);
            }

            var record = run.Ledger?.Find(Convert.ToHexStringLower(SHA256.HashData(photo)));
            var ratio = run.Elapsed.TotalSeconds / plain.TotalSeconds;
            var extraWire = Difference(sdkWire, plainWire);
            var proxyFigures = run.Ledger is { } ledger
                ? $", streams {record?.Streams ?? 0}, re-sent {ledger.ResentBytes:N0} B ({(run.Cuts == 0 ? 0 : ledger.ResentBytes / (double)run.Cuts):N0} B per cut, " +
                  $"average chunk {(ledger.Chunks == 0 ? 0 : (double)ledger.ChunkBytes / ledger.Chunks):N0} B)"
                : string.Empty;
            Console.WriteLine($"[{label}] {name} upload: {run.Elapsed.TotalSeconds:0.00} s, ratio {ratio:0.000}, cuts {run.Cuts}, {(method == "tus" ? "PATCH requests" : "attempts")} {run.Attempts}, " +
                $"wire {Describe(sdkWire)}, beyond plain TCP {Describe(extraWire)}" +
                (run.Cuts > 0 && extraWire is { } extra
                    ? $" (per cut {extra.Bytes / (double)run.Cuts:N0} B; {extra.FirstSent / (double)run.Cuts:N0} B without retransmissions)"
                    : string.Empty) +
                (run.MeanOutage is { } outage && run.Cuts > 0 ? $", outage {outage.TotalSeconds:0.00} s per cut" : string.Empty) + proxyFigures);

            var report = new BenchmarkReport($"weaklink-{label}");
            report.Parameters["method"] = method;
            report.Parameters["photo_bytes"] = photo.Length.ToString(CultureInfo.InvariantCulture);
            report.Parameters["gateway"] = gateway.ToString();
            report.Parameters["initial_chunk_bytes"] = initialChunk.ToString(CultureInfo.InvariantCulture);
            report.Parameters["chunk_bytes"] = fixedChunk > 0 ? fixedChunk.ToString(CultureInfo.InvariantCulture) : "the SDK's (75 ms of the link)";
            report.Parameters["cuts"] = cuts?.Describe() ?? "none";
            report.Parameters["link"] = Environment.GetEnvironmentVariable("WEAKLINK_DESCRIPTION") ?? "see loadtest/weaklink/run.sh";
            report.Parameters["wire_device"] = wire.Device;
            report.Add("plain TCP time", plain.TotalSeconds, "s");
            report.Add("plain TCP goodput", photo.Length * 8 / plain.TotalSeconds / 1e6, "Mbit/s");
            report.Add($"{name} upload time", run.Elapsed.TotalSeconds, "s");
            report.Add($"{name} goodput", photo.Length * 8 / run.Elapsed.TotalSeconds / 1e6, "Mbit/s");
            report.Add($"ratio {name} / plain TCP", ratio, "x");
            report.Add("cuts during the upload", run.Cuts, "");
            report.Add(method == "tus" ? "tus PATCH requests" : "SDK attempts", run.Attempts, "");
            if (run.MeanOutage is { } meanOutage)
            {
                report.Add("outage per cut (cut to restore, as cut.sh reports)", meanOutage.TotalSeconds, "s");
            }

            if (plainWire is { } p && sdkWire is { } s)
            {
                report.Add("plain TCP bytes on the wire", p.Bytes, "B");
                report.Add($"{name} bytes on the wire", s.Bytes, "B");
                report.Add($"{name} bytes on the wire beyond plain TCP, per cut", run.Cuts == 0 ? 0 : (s.Bytes - p.Bytes) / (double)run.Cuts, "B");
                report.Add("the same without TCP retransmissions, per cut", run.Cuts == 0 ? 0 : (s.FirstSent - p.FirstSent) / (double)run.Cuts, "B");
            }

            if (run.Ledger is { } tapped)
            {
                report.Add("upload streams", record?.Streams ?? 0, "");
                report.Add("chunk bytes sent", tapped.ChunkBytes, "B");
                report.Add("chunk bytes re-sent", tapped.ResentBytes, "B");
                report.Add("re-sent per cut", run.Cuts == 0 ? 0 : tapped.ResentBytes / (double)run.Cuts, "B");
                report.Add("average chunk", tapped.Chunks == 0 ? 0 : (double)tapped.ChunkBytes / tapped.Chunks, "B");
            }

            report.Print(Console.Out);
            Console.WriteLine($"written {report.WriteJson(Path.Combine(GatewayProcess.RepositoryRoot(), "loadtest", "results"))}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// A small photo uploaded through a client of its own first, so that neither this process's code (the SDK, gRPC,
    /// HTTP/2) nor the gateway's photo pipeline runs for the first time inside the measured upload: a phone's app and a
    /// gateway in service are warm. Its connection is closed before the measured client opens its own.
    /// </summary>
    private static async Task WarmUpAsync(Uri gateway, byte[] key, string work)
    {
        using var image = new ImageMagick.MagickImage("plasma:#6b8cae-#c9a77c", 320, 240) { Format = ImageMagick.MagickFormat.Jpeg };
        image.Comment = $"weaklink-warm-up-{Guid.NewGuid():N}";
        var path = Path.Combine(work, "warm-up.jpg");
        await File.WriteAllBytesAsync(path, image.ToByteArray());
        var token = DeviceToken.Mint(key, "weaklink-warm-up", "weaklink-driver", ["R-0001"], TimeSpan.FromHours(1));
        await using var client = new EdgeClient(new EdgeClientOptions
        {
            GatewayAddress = gateway,
            AllowTokenOverCleartext = true,
            TokenProvider = _ => ValueTask.FromResult(token),
            OutboxDirectory = Path.Combine(work, "warm-up-outbox"),
            OutboxKey = RandomNumberGenerator.GetBytes(32),
        });
        await client.UploadPhotoAsync(path);
    }

    private static (long Bytes, long FirstSent)? Difference((long Bytes, long FirstSent)? after, (long Bytes, long FirstSent)? before)
        => after is { } a && before is { } b ? (a.Bytes - b.Bytes, a.FirstSent - b.FirstSent) : null;

    private static string Describe((long Bytes, long FirstSent)? wire)
        => wire is { } w ? string.Create(CultureInfo.InvariantCulture, $"{w.Bytes:N0} B ({w.FirstSent:N0} B without retransmissions)") : "? B";

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

    private static async Task<SdkRun> SdkUploadAsync(Uri gateway, byte[] key, string path, CutPlan? cuts, int initialChunk, int fixedChunk, bool trace,
        string work)
    {
        // --trace true: the cuts and every acknowledgement, with the time since the upload began.
        var origin = Stopwatch.GetTimestamp();
        void Trace(string what)
        {
            if (trace)
            {
                Console.WriteLine($"  {Stopwatch.GetElapsedTime(origin).TotalSeconds,7:0.000} s  {DateTime.Now:HH:mm:ss.fff}  {what}");
            }
        }

        // Proxy cuts need the proxy in the path; kernel cuts and no cuts go straight to the gateway, as a phone does.
        LinkProxy? link = null;
        UploadLedger? ledger = null;
        var address = gateway;
        if (cuts is { Kernel: false })
        {
            ledger = new UploadLedger();
            link = new LinkProxy(new IPEndPoint(IPAddress.Parse(gateway.Host), gateway.Port), new LinkProfile(), new LinkCounters(), ledger);
            link.Start();
            address = new Uri($"http://127.0.0.1:{link.Port}");
        }

        try
        {
            var token = DeviceToken.Mint(key, "weaklink-device", "weaklink-driver", ["R-0001"], TimeSpan.FromHours(2));
            await using var client = new EdgeClient(new EdgeClientOptions
            {
                GatewayAddress = address,
                AllowTokenOverCleartext = true,
                TokenProvider = _ => ValueTask.FromResult(token),
                OutboxDirectory = Path.Combine(work, "outbox"),
                OutboxKey = RandomNumberGenerator.GetBytes(32),
                MaxUploadAttempts = 1000,
                InitialChunkBytes = fixedChunk > 0 ? fixedChunk : initialChunk,
                MinChunkBytes = fixedChunk > 0 ? fixedChunk : Math.Min(initialChunk, new EdgeClientOptions().MinChunkBytes),
                MaxChunkBytes = fixedChunk > 0 ? fixedChunk : Math.Max(initialChunk, new EdgeClientOptions().MaxChunkBytes),
            });

            using var done = new CancellationTokenSource();
            var proxyCuts = 0;
            var cutting = link is null ? Task.CompletedTask : Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(cuts!.Every);
                try
                {
                    var proxyMode = cuts.Mode == "half-open" ? CutMode.HalfOpen : CutMode.Reset;
                    while (await timer.WaitForNextTickAsync(done.Token))
                    {
                        if (link.Cut(proxyMode) > 0)
                        {
                            Interlocked.Increment(ref proxyCuts);
                            Trace($"cut ({cuts.Mode}, proxy)");
                            if (proxyMode == CutMode.HalfOpen)
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
            origin = started;
            var kernel = cuts is { Kernel: true } ? KernelCuts.Start(cuts.Script!, cuts.Port, cuts.Every, cuts.Mode, trace ? Trace : null) : null;
            TimeSpan elapsed;
            try
            {
                await client.UploadPhotoAsync(path, new ProgressCallback(p =>
                {
                    attempts = Math.Max(attempts, p.Attempt);
                    Trace($"acknowledged {p.CommittedBytes:N0} B (attempt {p.Attempt})");
                }), CancellationToken.None);
                elapsed = Stopwatch.GetElapsedTime(started);
            }
            finally
            {
                if (kernel is not null)
                {
                    await kernel.DisposeAsync();
                }
            }

            await done.CancelAsync();
            await cutting;
            return new SdkRun(elapsed, ledger, kernel?.Cuts ?? proxyCuts, attempts, kernel?.MeanOutage);
        }
        finally
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }
        }
    }

    private sealed record SdkRun(TimeSpan Elapsed, UploadLedger? Ledger, int Cuts, int Attempts, TimeSpan? MeanOutage);

    /// <summary>Cuts every <see cref="Every"/>: by the weaklink's cut script when <see cref="Script"/> is set, else by the proxy.</summary>
    private sealed record CutPlan(TimeSpan Every, string Mode, string? Script, int Port)
    {
        public bool Kernel => Script is not null;

        public string Describe() => $"every {Every.TotalSeconds} s, {Mode}, {(Kernel ? "kernel (cut.sh)" : "in-process proxy")}";
    }

    private sealed class ProgressCallback(Action<UploadProgress> report) : IProgress<UploadProgress>
    {
        public void Report(UploadProgress value) => report(value);
    }
}

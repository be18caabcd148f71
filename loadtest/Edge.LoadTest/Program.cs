using Edge.LoadTest.Abuse;
using Edge.LoadTest.Chaos;
using Edge.LoadTest.Faces;
using Edge.LoadTest.Forwarding;
using Edge.LoadTest.Ghz;
using Edge.LoadTest.Manifests;
using Edge.LoadTest.Reuse;
using Edge.LoadTest.Uploads;

namespace Edge.LoadTest;

internal static class LoadTestProgram
{
    private const string Usage = """
        usage: Edge.LoadTest <scenario> [options]

        scenarios:
          manifests  GetManifest cache hits (120-stop manifest) against a gateway process, beside Health/Check on
                   the same process; --concurrency N (50) --connections N (1) --seconds N per round (5) --rounds N (3)
                   --warmup N s (15) --redis HOST:PORT --encoding gzip (take gzip answers as bytes) | gzip-inflate | identity
                   --only hit|health|not-modified: measure that one alone (to profile it)
          photos   the photo pipeline in-process on a generated 4000x3000 phone JPEG
                   --concurrency N (default 2)  --count N (default 60)  --warmup N (default 4)
                   --faces off (default) | on: face redaction on, photo without a face | faces: on, photo with 3 faces
                   --sampling 444 (default: ImageMagick's for quality 90) | 420 (a phone camera's) for the photo with faces
                   --allocator gateway (default: glibc's allocator set as the gateway's image and launch profile set it;
                   the benchmark runs itself again with the settings) | glibc (glibc's defaults)
          face-cost  face redaction's CPU by stage on one thread (decodes, one detector run, the search, the full
                   decode, blur and encode of a photo with faces, its blocks rewritten instead) for a 4000x3000 JPEG;
                   --count N (10) --sampling 444 (default) | 420 --allocator gateway (default) | glibc, as for photos
          face-recall  the face search's recall and false positives per head height on the labelled sets (B: the
                   test's, 80-1,000 px; C: 80-240 px; D: 240-640 px), parcels blurred, detector runs and search CPU per
                   photo; --sets B,C,D (all) --searches gateway (default),grid (the search before, with a 2x2 grid),grid-whole-proposes
                   (compared on the same pictures) --sampling 420 (default) | 444
          uploads  concurrent uploads over loopback against a gateway process (transport: chunks, CRC32C,
                   SHA-256, fsync, state); --concurrency N (32) --uploads N (480) --size BYTES (3000000)
                   --chunk BYTES (65536) --redis HOST:PORT (embedded mode when absent) --data DIR
                   --photos true: upload 4000x3000 phone JPEGs through the real photo pipeline instead
          scans    RecordScans batches of 20 from --devices N (32) for --seconds N (20); events/s accepted
          proofs   --proofs N (2000) proofs from --concurrency N (16) devices (--rate N proofs/s: open loop at that
                   rate; default: as fast as they go), photos uploaded first; proofs/s and
                   submit-to-COMMITTED percentiles (receipts watched with WatchReceipts)
          outage   the core down for --outage-seconds N (600) while --rate N (2000) scans/s arrive; backlog
                   build-up rate vs drain rate once the core is back
                    (scans, proofs and outage also take --redis HOST:PORT and --data DIR; the gateway hosts the core simulator;
                   --redis-durability Warn lets them run on a Redis that does not fsync every write)
          abuse    a victim fleet (--victims N (4) devices: a 4000x3000 photo through the real pipeline, then 10 scans, every
                   250 ms) for --seconds N (30) without attackers, with them, and without again; the attack: idle TCP
                   connections at --max-connections N (500), one device sending scans at 10x its rate, one opening empty
                   uploads in a loop; p50/p99 per period, refusals, gateway peak RSS; --redis HOST:PORT --data DIR
          chaos    gateway processes (embedded: one; Redis: two replicas on a durable redis-server) forwarding to the
                   core simulator in its own process, under mixed load from --devices N (8) at --rate N scans/s (500;
                   short 200) with a proof every --proof-every N (5) batches per device; --kills N (5; short 2) kill -9 of
                   a random gateway at random moments, each started again; --outages N (1) core kills for
                   --outage-seconds N (60; short 3), with --outage-scans N / --outage-proofs N sent during the outage
                   instead of the load; --modes embedded,redis; --seed N; --short true (what ./test.sh runs).
                   Reports drain time after each event, lost and duplicated items; exit code 1 if any
          reuse-threshold  photo reuse: generated porch scenes and transformed copies (re-encoded, resized, cropped,
                   brightened, rotated) hashed by the real photo pipeline; share of copies found and false matches
                   between different scenes per Hamming distance; --scenes N (150) --width N (1600) --concurrency N (2)
          reuse-index  the photo reuse index filled with --prints N (1000000): lookup and add percentiles, storage per
                   million prints; --lookups N (20000) --max-distance N --bands N (the gateway's defaults) --redis HOST:PORT
                   (Redis index; embedded SQLite when absent) --data DIR
          prepare-ghz  data files for loadtest/ghz against a running gateway: --gateway HOST:PORT (127.0.0.1:5080)
                   --signing-key BASE64 (or --data DIR, the gateway's) --out DIR (loadtest/ghz/data) --route R-0001
                   --photo-bytes N (3000000) --chunk N (65536)
          ghz-check  every loadtest/ghz config done as ghz would, short of the load, against a running gateway: keys,
                   durations, the call found by reflection or in its .proto, the data parsed strictly as the request
                   (templates filled in), the metadata, and --calls N (3) calls that must end OK;
                   --gateway HOST:PORT (127.0.0.1:5080) --data DIR (loadtest/ghz/data) --configs DIR (loadtest/ghz)
        """;

    private static readonly string[] ForwardingOptions = ["concurrency", "data", "devices", "outage-seconds", "proofs", "rate", "redis", "redis-durability", "seconds"];

    /// <summary>The options each scenario reads: anything else is a typo, refused rather than silently ignored.</summary>
    private static readonly Dictionary<string, string[]> KnownOptions = new(StringComparer.Ordinal)
    {
        ["photos"] = ["allocator", "concurrency", "count", "faces", "sampling", "warmup"],
        [FaceCostScenario.Name] = ["allocator", "count", "sampling"],
        [FaceRecallScenario.Name] = ["sampling", "searches", "sets"],
        [UploadScenario.Name] = ["chunk", "concurrency", "data", "photos", "redis", "redis-durability", "size", "uploads"],
        // One runner reads these for all three.
        ["scans"] = ForwardingOptions,
        ["proofs"] = ForwardingOptions,
        ["outage"] = ForwardingOptions,
        [AbuseScenario.Name] = ["data", "max-connections", "redis", "seconds", "victims"],
        [ManifestScenario.Name] = ["concurrency", "connections", "encoding", "only", "redis", "rounds", "seconds", "warmup"],
        [ReuseThresholdScenario.Name] = ["concurrency", "scenes", "width"],
        [ReuseIndexScenario.Name] = ["bands", "data", "lookups", "max-distance", "prints", "redis"],
        [GhzPreparation.Name] = ["chunk", "data", "gateway", "out", "photo-bytes", "route", "signing-key"],
        [GhzConfigCheck.Name] = ["calls", "configs", "data", "gateway", "root"],
        [ChaosScenario.Name] = ChaosScenario.Options,
    };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (args[0] is "-h" or "--help" or "help" || args.Contains("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        ScenarioArguments options;
        try
        {
            options = ScenarioArguments.Parse(args[1..]);
            if (KnownOptions.TryGetValue(args[0], out var known))
            {
                options.Only(args[0], known);
            }

            if (args[0] is ("photos" or FaceCostScenario.Name) && AllocatorSettings.GatewayWanted(options) && !AllocatorSettings.InEffect())
            {
                return await AllocatorSettings.RunAgainAsync();
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        BenchmarkReport report;
        try
        {
            switch (args[0])
            {
                case "photos":
                    report = await PhotoScenario.RunAsync(options);
                    break;
                case FaceCostScenario.Name:
                    report = FaceCostScenario.Run(options);
                    break;
                case FaceRecallScenario.Name:
                    report = FaceRecallScenario.Run(options);
                    break;
                case UploadScenario.Name:
                    report = await UploadScenario.RunAsync(options);
                    break;
                case "scans" or "proofs" or "outage":
                    report = await ForwardingScenario.RunAsync(args[0], options);
                    break;
                case ManifestScenario.Name:
                    report = await ManifestScenario.RunAsync(options);
                    break;
                case AbuseScenario.Name:
                    report = await AbuseScenario.RunAsync(options);
                    break;
                case ReuseThresholdScenario.Name:
                    report = await ReuseThresholdScenario.RunAsync(options);
                    break;
                case ReuseIndexScenario.Name:
                    report = await ReuseIndexScenario.RunAsync(options);
                    break;
                case UploadGatewayRole.Name:
                    return await UploadGatewayRole.RunAsync(options);
                case GhzPreparation.Name:
                    return await GhzPreparation.RunAsync(options);
                case GhzConfigCheck.Name:
                    return await GhzConfigCheck.RunAsync(options);
                case ChaosScenario.Name:
                    var (chaos, clean) = await ChaosScenario.RunAsync(options);
                    chaos.Print(Console.Out);
                    Console.WriteLine($"written {chaos.WriteJson(Path.Combine(FindRepositoryRoot(), "loadtest", "results"))}");
                    return clean ? 0 : 1;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (ArgumentException e) when (e.ParamName is null)
        {
            // A scenario's option has a value it cannot use (thrown as it reads its options, before any load).
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        report.Print(Console.Out);
        var path = report.WriteJson(Path.Combine(FindRepositoryRoot(), "loadtest", "results"));
        Console.WriteLine($"written {path}");
        return 0;
    }

    /// <summary>The repository (the folder with Edge.sln) above the working directory, else above this program.</summary>
    internal static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Edge.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        return Environment.CurrentDirectory;
    }
}

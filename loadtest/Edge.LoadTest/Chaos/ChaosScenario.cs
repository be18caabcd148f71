using System.Globalization;
using System.Security.Cryptography;
using Edge.LoadTest.Uploads;

namespace Edge.LoadTest.Chaos;

/// <summary>
/// The chaos runner: real gateway processes (embedded: one; Redis: two replicas on a durable redis-server) forwarding
/// to the core simulator in a process of its own, under a mixed load from simulated devices. Gateways are killed with
/// SIGKILL at random moments and started again; the core is killed and started again after an outage. After each event
/// it reports the drain time (restart, or the core's return, to the moment the core holds everything acknowledged
/// before the event) and, for an outage, when the first item reached the core; at the end, lost (acknowledged, not at
/// the core) and duplicated (recorded twice by the core) items. Not clean (exit code 1) when anything was lost or
/// duplicated.
/// </summary>
internal static class ChaosScenario
{
    public const string Name = "chaos";

    public static readonly string[] Options = ["devices", "keep-logs", "kills", "modes", "outage-proofs", "outage-scans", "outage-seconds", "outages", "proof-every", "rate", "seed", "short"];

    public static async Task<(BenchmarkReport Report, bool Clean)> RunAsync(ScenarioArguments arguments)
    {
        var settings = ChaosSettings.From(arguments);
        var report = new BenchmarkReport(Name);
        report.Parameters["form"] = settings.Short ? "short" : "long";
        report.Parameters["kills per mode"] = settings.Kills.ToString(CultureInfo.InvariantCulture);
        report.Parameters["outages per mode"] = $"{settings.Outages} of {settings.Outage.TotalSeconds:0} s";
        report.Parameters["load"] = $"{settings.ScansPerSecond} scans/s from {settings.Devices} devices, a proof every {settings.ProofEvery} batches per device";
        var random = new Random(settings.Seed);
        var clean = true;
        foreach (var mode in settings.Modes)
        {
            clean &= await RunModeAsync(mode, settings, random, report);
        }

        return (report, clean);
    }

    private static async Task<bool> RunModeAsync(string mode, ChaosSettings settings, Random random, BenchmarkReport report)
    {
        var root = Directory.CreateTempSubdirectory($"edge-chaos-{mode}-").FullName;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        // The gateways authenticate to the core with this token, which the core simulator checks.
        var coreToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var processes = new List<ChaosProcess>();
        var clean = false;
        try
        {
            var corePort = UploadGatewayRole.FreePort();
            var core = new ChaosProcess("core", corePort, root, "dotnet",
                [Assembly("Edge.CoreSim"), "--urls", $"http://127.0.0.1:{corePort}", "--CoreSim:DataDirectory", Path.Combine(root, "core"),
                    "--CoreSim:AccessToken", coreToken, "--Logging:LogLevel:Default", "Warning"]);
            processes.Add(core);
            await core.StartAsync();
            string? redis = null;
            if (mode == "redis")
            {
                var redisPort = UploadGatewayRole.FreePort();
                var server = new ChaosProcess("redis", redisPort, root, "redis-server",
                    ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", root]);
                processes.Add(server);
                await server.StartAsync();
                redis = $"127.0.0.1:{redisPort},abortConnect=false";
            }

            var gateways = new List<ChaosProcess>();
            foreach (var replica in redis is null ? new[] { "a" } : ["a", "b"])
            {
                var port = UploadGatewayRole.FreePort();
                List<string> args = [Assembly("Edge.Gateway"), "--urls", $"http://127.0.0.1:{port}", "--Edge:DataDirectory", Path.Combine(root, "gateway"),
                    "--Edge:Auth:SigningKey", key, "--Edge:Core:Address", $"http://127.0.0.1:{corePort}",
                    "--Edge:Core:AccessToken", coreToken, "--Edge:Transport:AllowCleartext", "true", "--Logging:LogLevel:Default", "Warning",
                    "--Logging:LogLevel:Edge.Gateway.Forwarding", "Information",
                    "--Logging:Console:FormatterName", "simple", "--Logging:Console:FormatterOptions:TimestampFormat", "HH:mm:ss.fff ",
                    "--Logging:Console:FormatterOptions:SingleLine", "true"];
                if (redis is not null)
                {
                    args.AddRange(["--Edge:Redis", redis, "--Edge:ReplicaId", "chaos-" + replica]);
                }

                var gateway = new ChaosProcess("gateway-" + replica, port, root, "dotnet", args);
                processes.Add(gateway);
                gateways.Add(gateway);
                await gateway.StartAsync();
            }

            clean = await new ChaosRun(mode, settings, random, report, key, core, gateways).RunAsync();
            return clean;
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }

            if (clean && !settings.KeepLogs)
            {
                Directory.Delete(root, recursive: true);
            }
            else
            {
                Console.WriteLine($"{mode}: logs in {root}");
            }
        }
    }

    /// <summary>src/{project}/bin/{configuration}/net10.0/{project}.dll, built with this program.</summary>
    private static string Assembly(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(LoadTestProgram.FindRepositoryRoot(), "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"build {project} first ({configuration})", path);
    }
}

/// <summary>What one chaos run does; the short form is what <c>./test.sh</c> runs.</summary>
internal sealed record ChaosSettings(bool Short, string[] Modes, int Kills, int Outages, TimeSpan Outage, int OutageScans, int OutageProofs,
    int Devices, int ScansPerSecond, int ProofEvery, int Seed, bool KeepLogs)
{
    public static ChaosSettings From(ScenarioArguments arguments)
    {
        var isShort = arguments.String("short") == "true";
        return new ChaosSettings(
            isShort,
            (arguments.String("modes") ?? "embedded,redis").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            arguments.Int("kills", isShort ? 2 : 5),
            arguments.Int("outages", 1),
            TimeSpan.FromSeconds(arguments.Int("outage-seconds", isShort ? 3 : 60)),
            arguments.Int("outage-scans", 0),
            arguments.Int("outage-proofs", 0),
            arguments.Int("devices", 8),
            arguments.Int("rate", isShort ? 200 : 500),
            arguments.Int("proof-every", 5),
            arguments.Int("seed", 14),
            arguments.String("keep-logs") == "true");
    }
}

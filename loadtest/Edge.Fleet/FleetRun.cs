using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Edge.Fleet.Devices;
using Edge.Fleet.Gateway;
using Edge.Fleet.Links;
using Edge.Fleet.Reporting;
using Edge.LoadTest;

namespace Edge.Fleet;

/// <summary>
/// The fleet scenario: N devices on their own degraded links against one gateway for a while, then a bounded drain,
/// then a report and an audit of what the core holds. Exit code 0 only when every proof was committed and the core
/// holds exactly what the devices sent.
/// </summary>
internal static class FleetRun
{
    public static async Task<int> RunAsync(FleetOptions options)
    {
        var root = options.DataDirectory ?? Directory.CreateTempSubdirectory("edge-fleet-").FullName;
        Directory.CreateDirectory(root);
        Console.WriteLine($"fleet: {options.Devices} devices for {options.Duration} (+ up to {options.Drain} drain), links {options.Link.Describe()}, " +
            $"{(options.Link.CutEvery > TimeSpan.Zero ? $"cut every {options.Link.CutEvery.TotalSeconds:0} s ({options.Link.CutMode}) on {options.CutFraction:P0} of devices" : "no cuts")}, work in {root}");
        Console.WriteLine($"making the {options.PhotoBytes:N0}-byte photo...");
        var camera = new PhotoCamera(options.PhotoBytes);

        GatewayProcess? gateway = null;
        string key;
        Uri gatewayAddress;
        Uri? coreAddress;
        if (options.Gateway is null)
        {
            key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            gateway = await GatewayProcess.StartAsync(Path.Combine(root, "gateway"), key, options.Devices, Path.Combine(root, "gateway.log"));
            gatewayAddress = gateway.Address;
            coreAddress = gateway.CoreAddress;
            Console.WriteLine($"gateway pid {gateway.ProcessId} on {gateway.Address}, core simulator on {gateway.CoreAddress} (log {root}/gateway.log)");
        }
        else
        {
            key = options.SigningKey ?? throw new ArgumentException("--gateway needs --signing-key (the gateway's Edge:Auth:SigningKey)");
            gatewayAddress = options.Gateway;
            coreAddress = options.Core;
        }

        var stats = new FleetStats();
        var links = new LinkCounters();
        var upstream = await ResolveAsync(gatewayAddress);
        var keyBytes = Convert.FromBase64String(key);
        var ledgers = new List<UploadLedger>();
        var devices = new List<Device>();
        var routes = Math.Max(50, options.Devices);
        var cutDevices = (int)Math.Round(options.Devices * options.CutFraction);
        for (var i = 0; i < options.Devices; i++)
        {
            // Cut devices spread evenly over the fleet.
            var cut = options.Link.CutEvery > TimeSpan.Zero && cutDevices > 0 && i * cutDevices / options.Devices != (i + 1) * cutDevices / options.Devices;
            var ledger = new UploadLedger();
            ledgers.Add(ledger);
            var link = new LinkProxy(upstream, options.Link with { CutEvery = cut ? options.Link.CutEvery : TimeSpan.Zero }, links, ledger);
            link.Start();
            var routeId = $"R-{(i % routes) + 1:D4}";
            var deviceId = $"fleet-device-{i:D4}";
            var token = DeviceToken.Mint(keyBytes, deviceId, $"fleet-driver-{i:D4}", [routeId], options.Duration + options.Drain + TimeSpan.FromHours(1));
            devices.Add(new Device(i, routeId, token, link, camera, options, stats, Directory.CreateDirectory(Path.Combine(root, "devices", deviceId)).FullName));
        }

        var phase = "working";
        var clock = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var gatewayCpuBefore = gateway?.CpuTime() ?? TimeSpan.Zero;
        using var stopWorking = new CancellationTokenSource(options.Duration);
        using var stopDelivering = new CancellationTokenSource(options.Duration + options.Drain);
        using var stopView = new CancellationTokenSource();
        var view = new LiveView(stats, links, new UploadLedgers(ledgers), () => phase);
        var viewing = view.RunAsync(stopView.Token);
        var cutting = CutAsync(devices, stopDelivering.Token);
        stopWorking.Token.Register(() => phase = "draining");

        var running = devices.Select((device, i) => device.RunAsync(options.Ramp * i / Math.Max(1, options.Devices), stopWorking.Token, stopDelivering.Token)).ToList();
        var restarting = RestartAsync(gateway, options.RestartAt, options.RestartSignal, links, stopDelivering.Token);
        await Task.WhenAll(running);
        var restart = await restarting;
        var elapsed = clock.Elapsed;
        var drained = !stopDelivering.IsCancellationRequested;
        phase = "done";
        await stopDelivering.CancelAsync();
        await cutting;
        await stopView.CancelAsync();
        await viewing;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        // After a restart the process is a new one: its CPU is counted from its start (a little less than the run).
        var gatewayCpu = (gateway?.CpuTime() ?? TimeSpan.Zero) - (restart is null ? gatewayCpuBefore : TimeSpan.Zero);

        foreach (var device in devices)
        {
            await device.CloseAsync();
            await device.Link.DisposeAsync();
        }

        AuditResult? audit = null;
        if (coreAddress is not null)
        {
            audit = await CoreAudit.RunAsync(coreAddress, stats, coreStartedEmpty: gateway is not null);
        }

        var report = Report(options, stats, links, new UploadLedgers(ledgers), audit, elapsed, drained, cpu, gatewayCpu, gateway, camera.Size);
        restart?.AddTo(report, links);
        report.Print(Console.Out);
        var path = report.WriteJson(Path.Combine(GatewayProcess.RepositoryRoot(), "loadtest", "results"));
        Console.WriteLine($"written {path}");

        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }

        if (options.DataDirectory is null && !options.KeepData)
        {
            Directory.Delete(root, recursive: true);
        }

        var allCommitted = stats.ProofsCommitted == stats.ProofsSent && stats.ProofsRejected == 0;
        Console.WriteLine(audit switch
        {
            null => "core check skipped: no core address (--core) for an external gateway",
            { Passed: true } => $"core check passed: the core holds exactly the {stats.ProofsSent} proofs and {stats.ScansSent} scans the devices sent",
            _ => "core check FAILED: " + string.Join("; ", audit.Examples.DefaultIfEmpty("see the figures above")),
        });
        if (!allCommitted)
        {
            Console.WriteLine($"NOT every proof was committed: {stats.ProofsCommitted} of {stats.ProofsSent} (rejected {stats.ProofsRejected})");
        }

        return allCommitted && audit?.Passed != false && audit is not null ? 0 : 1;
    }

    /// <summary>Restarts the fleet's own gateway once, <paramref name="at"/> into the run (never when zero or external).</summary>
    private static async Task<GatewayRestart?> RestartAsync(GatewayProcess? gateway, TimeSpan at, string signal, LinkCounters links, CancellationToken stop)
    {
        if (gateway is null || at <= TimeSpan.Zero)
        {
            return null;
        }

        try
        {
            await Task.Delay(at, stop);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        var began = links.Elapsed;
        Console.WriteLine($"restarting the gateway (SIG{signal}) at {began.TotalSeconds:0} s...");
        var (stopping, starting) = await gateway.RestartAsync(signal == "KILL");
        Console.WriteLine($"gateway back after {stopping.TotalSeconds:0.0} s stopping and {starting.TotalSeconds:0.0} s starting (pid {gateway.ProcessId})");
        return new GatewayRestart(began, signal, stopping, starting);
    }

    /// <summary>Cuts the links of the devices that have cuts, each on its own phase, until the run ends.</summary>
    private static async Task CutAsync(List<Device> devices, CancellationToken stop)
    {
        var cutting = devices.Where(d => d.Link.Profile.CutEvery > TimeSpan.Zero).Select(async device =>
        {
            var every = device.Link.Profile.CutEvery;
            try
            {
                await Task.Delay(every * Random.Shared.NextDouble(), stop);
                using var timer = new PeriodicTimer(every);
                do
                {
                    if (device.Link.Cut(device.Link.Profile.CutMode) > 0 && device.Link.Profile.CutMode == CutMode.HalfOpen)
                    {
                        // The phone noticed its network change; the gateway did not.
                        device.Client?.NotifyNetworkChanged();
                    }
                }
                while (await timer.WaitForNextTickAsync(stop));
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Task.WhenAll(cutting);
    }

    private static BenchmarkReport Report(FleetOptions options, FleetStats stats, LinkCounters links, UploadLedgers ledgers, AuditResult? audit,
        TimeSpan elapsed, bool drained, TimeSpan cpu, TimeSpan gatewayCpu, GatewayProcess? gateway, int photoBytes)
    {
        var report = new BenchmarkReport("fleet");
        string S(object value) => Convert.ToString(value, CultureInfo.InvariantCulture)!;
        report.Parameters["devices"] = S(options.Devices);
        report.Parameters["duration_s"] = S(options.Duration.TotalSeconds);
        report.Parameters["drain_limit_s"] = S(options.Drain.TotalSeconds);
        report.Parameters["photo_bytes"] = S(photoBytes);
        report.Parameters["pause_between_stops"] = options.Rate is { } rate ? $"{rate} stops/min" : $"{options.Delay.TotalSeconds} s";
        report.Parameters["link"] = options.Link.Describe();
        report.Parameters["cuts"] = options.Link.CutEvery > TimeSpan.Zero
            ? $"every {options.Link.CutEvery.TotalSeconds} s, {options.Link.CutMode}, {options.CutFraction:P0} of devices"
            : "none";
        report.Parameters["gateway"] = gateway is null ? S(options.Gateway!) : "own process, embedded mode, real photo pipeline";

        var (upload, photoToCommit, submitToCommit) = stats.Histograms();
        report.Add("run time (work + drain)", elapsed.TotalSeconds, "s");
        report.Add("drained before the limit", drained ? 1 : 0, "bool");
        report.Add("stops completed", stats.Stops, "");
        report.Add("scans sent", stats.ScansSent, "");
        report.Add("photos taken", stats.PhotosTaken, "");
        report.Add("photos uploaded at the door", stats.PhotosUploaded, "");
        report.Add("door uploads left to the outbox", stats.UploadFailures, "");
        report.Add("proofs sent", stats.ProofsSent, "");
        report.Add("proofs sent with photo", stats.PhotoProofsSent, "");
        report.Add("proofs COMMITTED (receipts)", stats.ProofsCommitted, "");
        report.Add("proofs with photo COMMITTED", stats.PhotoProofsCommitted, "");
        report.Add("proofs REJECTED", stats.ProofsRejected, "");
        report.Add("scans rejected", stats.ScansRejected, "");
        report.Add("upload streams", ledgers.Streams, "");
        report.Add("upload resumes (streams after the first, on the wire)", ledgers.Resumes, "");
        report.Add("upload resumes (SDK attempts, door uploads)", stats.SdkResumes, "");
        report.Add("chunk bytes sent", ledgers.ChunkBytes, "B");
        report.Add("chunk bytes re-sent", ledgers.ResentBytes, "B");
        report.Add("link cuts", links.Cuts, "");
        report.Add("re-sent per cut", links.Cuts == 0 ? 0 : (double)ledgers.ResentBytes / links.Cuts, "B");
        report.Add("link connections", links.Connections, "");
        report.Add("link bytes up", links.BytesUp, "B");
        report.Add("link bytes down", links.BytesDown, "B");
        report.Add("fleet throughput up", links.BytesUp * 8 / elapsed.TotalSeconds / 1e6, "Mbit/s");
        if (upload.TotalCount > 0)
        {
            report.AddPercentiles("upload time", upload);
        }

        if (photoToCommit.TotalCount > 0)
        {
            report.AddPercentiles("photo taken to COMMITTED", photoToCommit);
        }

        if (submitToCommit.TotalCount > 0)
        {
            report.AddPercentiles("proof queued to COMMITTED", submitToCommit);
        }

        report.Add("fleet CPU", cpu.TotalSeconds / elapsed.TotalSeconds * 100, "% of a core");
        if (gateway is not null)
        {
            report.Add("gateway CPU", gatewayCpu.TotalSeconds / elapsed.TotalSeconds * 100, "% of a core");
            report.Add("gateway peak RSS", gateway.PeakResidentBytes() / 1_048_576.0, "MiB");
        }

        if (audit is not null)
        {
            report.Add("core: proofs held", audit.ProofsAtCore, "");
            report.Add("core: proofs lost", audit.ProofsLost, "");
            report.Add("core: proofs listed twice", audit.ProofsListedTwice, "");
            report.Add("core: stops closed twice", audit.StopsClosedTwice, "");
            report.Add("core: proofs not as sent", audit.ProofsNotAsSent, "");
            report.Add("core: proofs not sent by the fleet", audit.ProofsExtra, "");
            report.Add("core: proofs rejected", audit.ProofsRejectedAtCore, "");
            report.Add("core: proof redeliveries (answered DUPLICATE)", audit.ProofRedeliveries, "");
            report.Add("core: scans held", audit.ScansAtCore, "");
            report.Add("core: scans lost", audit.ScansLost, "");
            report.Add("core: scans listed twice", audit.ScansListedTwice, "");
            report.Add("core: scans not sent by the fleet", audit.ScansExtra, "");
            report.Add("core: scan redeliveries (answered DUPLICATE)", audit.ScanRedeliveries, "");
            report.Add("core check passed", audit.Passed ? 1 : 0, "bool");
        }

        return report;
    }

    private static async Task<IPEndPoint> ResolveAsync(Uri address)
    {
        if (IPAddress.TryParse(address.Host, out var ip))
        {
            return new IPEndPoint(ip, address.Port);
        }

        var addresses = await Dns.GetHostAddressesAsync(address.Host);
        return new IPEndPoint(addresses.First(), address.Port);
    }
}

using System.Diagnostics;
using System.Globalization;
using Edge.Testing;

namespace Edge.Fleet.Gateway;

/// <summary>
/// The gateway under test in a process of its own (the real Edge.Gateway, photo pipeline included), embedded mode,
/// with its core simulator on a known loopback port so the fleet can ask the core's Admin service what it holds.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly ProcessStartInfo _start;
    private readonly StreamWriter _log;
    private Process _process;
    private Task _copying;

    private GatewayProcess(ProcessStartInfo start, StreamWriter log, int port, int corePort)
    {
        _start = start;
        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        _log = log;
        Port = port;
        CorePort = corePort;
        _copying = Task.WhenAll(CopyAsync(_process.StandardOutput), CopyAsync(_process.StandardError));
    }

    public int Port { get; }

    public int CorePort { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public Uri CoreAddress => new($"http://127.0.0.1:{CorePort}");

    public int ProcessId => _process.Id;

    /// <summary>Starts the gateway and waits until both it and its core simulator accept connections.</summary>
    public static async Task<GatewayProcess> StartAsync(string dataDirectory, string signingKey, int routes, string logPath)
    {
        var port = FreePorts.Next();
        var corePort = FreePorts.Next();
        var dll = FindGatewayAssembly();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            dll, "--urls", $"http://127.0.0.1:{port}",
            "--Edge:DataDirectory", dataDirectory,
            "--Edge:Auth:SigningKey", signingKey,
            "--Edge:Transport:AllowCleartext", "true",
            "--Edge:Core:EmbeddedPort", corePort.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default", "Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        // The embedded simulator reads its own configuration from the environment: one route per device.
        start.Environment["CoreSim__RouteCount"] = Math.Clamp(routes, 50, 9999).ToString(CultureInfo.InvariantCulture);
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var gateway = new GatewayProcess(start, log, port, corePort);
        await gateway.WaitUntilAcceptingAsync(logPath);
        return gateway;
    }

    /// <summary>
    /// Stops the gateway as an operator would (SIGTERM: it drains and exits), or as a crash would (<paramref name="kill"/>:
    /// SIGKILL), and starts it again on the same port and data directory. Returns how long it was stopping and how long
    /// the new process took until it accepted connections.
    /// </summary>
    public async Task<(TimeSpan Stopping, TimeSpan Starting)> RestartAsync(bool kill)
    {
        var clock = Stopwatch.StartNew();
        if (kill)
        {
            _process.Kill(entireProcessTree: true);
        }

        await StopAsync();
        var stopping = clock.Elapsed;
        _process.Dispose();
        _process = Process.Start(_start) ?? throw new InvalidOperationException("dotnet did not start");
        _copying = Task.WhenAll(CopyAsync(_process.StandardOutput), CopyAsync(_process.StandardError));
        await WaitUntilAcceptingAsync("the gateway log");
        return (stopping, clock.Elapsed - stopping);
    }

    private async Task WaitUntilAcceptingAsync(string logPath)
    {
        var deadline = Stopwatch.StartNew();
        while (!(await FreePorts.AcceptsAsync(Port) && await FreePorts.AcceptsAsync(CorePort)))
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(90))
            {
                await DisposeAsync();
                throw new InvalidOperationException($"the gateway did not start; see {logPath}");
            }

            await Task.Delay(50);
        }
    }

    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime;
    }

    /// <summary>Peak resident set size of the gateway process (VmHWM), 0 when unknown.</summary>
    public long PeakResidentBytes()
    {
        var status = $"/proc/{_process.Id}/status";
        if (!File.Exists(status))
        {
            return 0;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>SIGTERM (the gateway drains and exits), then a kill after 20 s.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _log.DisposeAsync();
        _process.Dispose();
    }

    private async Task StopAsync()
    {
        await ProcessStop.TerminateAsync(_process, TimeSpan.FromSeconds(20));
        await _copying;
    }

    /// <summary>src/Edge.Gateway/bin/{configuration}/net10.0/Edge.Gateway.dll, built with this project.</summary>
    public static string FindGatewayAssembly()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryRoot(), "src", "Edge.Gateway", "bin", configuration, "net10.0", "Edge.Gateway.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"build the gateway first ({configuration})", path);
    }

    public static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
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

    private async Task CopyAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                _log.WriteLine(line);
            }
        }
    }
}

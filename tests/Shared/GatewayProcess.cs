using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Edge.Testing;

/// <summary>How to start a gateway process.</summary>
public sealed class GatewayProcessOptions
{
    /// <summary>The gateway's <c>Edge:DataDirectory</c>; a fresh temporary one when not set.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Redis connection string (Redis mode); embedded mode when not set.</summary>
    public string? Redis { get; init; }

    /// <summary>The gRPC port; a free one when not set.</summary>
    public int? Port { get; init; }

    /// <summary>
    /// The port of the core simulator the gateway runs inside itself (<c>Edge:Core:EmbeddedPort</c>), so a test can
    /// reach its Admin service; the start waits for it too. Not set: the gateway picks one (or uses a configured core).
    /// </summary>
    public int? CorePort { get; init; }

    /// <summary>Further settings as command-line arguments (<c>--Edge:Intake:MaxScanBatch</c>, <c>5</c>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables for the process (the embedded simulator reads its own settings from there).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long the gateway may take to accept connections. Default: 60 seconds (builds run beside tests).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The real gateway (the built Edge.Gateway.dll) as a process of its own on loopback (cleartext, allowed explicitly),
/// signing key <see cref="TestTokens.SigningKey"/>, core token <see cref="TestTokens.CoreAccessToken"/>: for tests that kill it, run replicas, or must not meet its edge.v1 types in one
/// compilation. Its output is kept for failure messages.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, int port, int? corePort, string dataDirectory)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}");
        CoreAddress = corePort is { } core ? new Uri($"http://127.0.0.1:{core}") : null;
        DataDirectory = dataDirectory;
    }

    public Uri Address { get; }

    /// <summary>The embedded core simulator, when <see cref="GatewayProcessOptions.CorePort"/> was given.</summary>
    public Uri? CoreAddress { get; }

    public string DataDirectory { get; }

    public int ProcessId => _process.Id;

    /// <summary>What the gateway wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a gateway on <paramref name="dataDirectory"/> with these extra settings and waits until it listens.</summary>
    public static Task<GatewayProcess> StartAsync(string dataDirectory, string? redis = null, int? port = null, params string[] extraArgs)
        => StartAsync(new GatewayProcessOptions { DataDirectory = dataDirectory, Redis = redis, Port = port, Arguments = extraArgs });

    /// <summary>Starts a gateway and waits until it (and its embedded core, when asked for) accepts connections.</summary>
    public static async Task<GatewayProcess> StartAsync(GatewayProcessOptions options)
    {
        var port = options.Port ?? FreePorts.Next();
        var dataDirectory = options.DataDirectory ?? Directory.CreateTempSubdirectory("edge-gw-").FullName;
        var dll = GatewayAssembly();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var argument in Arguments(dll, port, dataDirectory, options))
        {
            info.ArgumentList.Add(argument);
        }

        // Workstation GC: several gateways and the tests share a few cores.
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in options.Environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var gateway = new GatewayProcess(process, port, options.CorePort, dataDirectory);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (!(await FreePorts.AcceptsAsync(port) && (options.CorePort is not { } core || await FreePorts.AcceptsAsync(core))))
        {
            if (process.HasExited || deadline.Elapsed > options.StartTimeout)
            {
                gateway.Kill();
                throw new InvalidOperationException($"The gateway did not start (exit code {(process.HasExited ? process.ExitCode : -1)}):\n{gateway.Output}");
            }

            await Task.Delay(100);
        }

        return gateway;
    }

    /// <summary>SIGKILL: no graceful shutdown, as when a node dies.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Waits for the process to end by itself; false when it is still running after <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>SIGTERM, as an orchestrator stops a node: the gateway shuts down gracefully. Returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? patience = null)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(patience ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The gateway did not stop within {patience ?? TimeSpan.FromSeconds(30)} of SIGTERM:\n{Output}");
        }

        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The gateway to run: the path in the test assembly's <c>GatewayAssembly</c> metadata (projects that build the
    /// gateway without referencing it), else the copy beside the test assembly (projects that reference it).
    /// </summary>
    public static string GatewayAssembly()
    {
        var configured = typeof(GatewayProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "GatewayAssembly")?.Value;
        var path = configured ?? Path.Combine(AppContext.BaseDirectory, "Edge.Gateway.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("The gateway is not built; build its project first.", path);
    }

    private static List<string> Arguments(string dll, int port, string dataDirectory, GatewayProcessOptions options)
    {
        var arguments = new List<string>
        {
            dll,
            "--urls", $"http://127.0.0.1:{port}",
            "--Edge:DataDirectory", dataDirectory,
            "--Edge:Auth:SigningKey", TestTokens.SigningKey,
            // Loopback cleartext outside Development must be asked for; one core token, so replicas share a core.
            "--Edge:Transport:AllowCleartext", "true",
            "--Edge:Core:AccessToken", TestTokens.CoreAccessToken,
        };
        if (options.Redis is not null)
        {
            arguments.AddRange(["--Edge:Redis", options.Redis]);
        }

        if (options.CorePort is { } core)
        {
            arguments.AddRange(["--Edge:Core:EmbeddedPort", core.ToString(CultureInfo.InvariantCulture)]);
        }

        arguments.AddRange(options.Arguments);
        return arguments;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}

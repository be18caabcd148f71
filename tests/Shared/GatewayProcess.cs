using System.Globalization;
using System.Reflection;

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
    private readonly ChildProcess _process;

    private GatewayProcess(ChildProcess process, int port, int? corePort, string dataDirectory)
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

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What the gateway wrote to stdout and stderr so far.</summary>
    public string Output => _process.Output;

    /// <summary>Starts a gateway on <paramref name="dataDirectory"/> with these extra settings and waits until it listens.</summary>
    public static Task<GatewayProcess> StartAsync(string dataDirectory, string? redis = null, int? port = null, params string[] extraArgs)
        => StartAsync(new GatewayProcessOptions { DataDirectory = dataDirectory, Redis = redis, Port = port, Arguments = extraArgs });

    /// <summary>Starts a gateway and waits until it (and its embedded core, when asked for) accepts connections.</summary>
    public static async Task<GatewayProcess> StartAsync(GatewayProcessOptions options)
    {
        var port = options.Port ?? FreePorts.Next();
        var dataDirectory = options.DataDirectory ?? Directory.CreateTempSubdirectory("edge-gw-").FullName;
        var process = ChildProcess.StartDotnet(GatewayAssembly(), Arguments(port, dataDirectory, options), options.Environment);
        await process.WaitUntilListeningAsync("gateway", options.StartTimeout, options.CorePort is { } core ? [port, core] : [port]);
        return new GatewayProcess(process, port, options.CorePort, dataDirectory);
    }

    /// <summary>SIGKILL: no graceful shutdown, as when a node dies.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Waits for the process to end by itself; false when it is still running after <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>SIGTERM, as an orchestrator stops a node: the gateway shuts down gracefully. Returns its exit code.</summary>
    public Task<int> TerminateAsync(TimeSpan? patience = null) => _process.TerminateAsync(patience ?? TimeSpan.FromSeconds(30));

    public ValueTask DisposeAsync() => _process.DisposeAsync();

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

    private static List<string> Arguments(int port, string dataDirectory, GatewayProcessOptions options)
    {
        var arguments = new List<string>
        {
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
}

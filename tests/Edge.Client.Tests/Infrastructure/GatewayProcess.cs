using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Grpc.Net.Client;

namespace Edge.Client.Tests.Infrastructure;

/// <summary>
/// The real gateway (the built Edge.Gateway.dll) as its own process on a loopback port, in embedded mode with a fresh
/// data directory, forwarding to the core simulator it runs inside (reachable for its Admin service at
/// <see cref="CoreAddress"/>) with short retry pauses. A process rather than an in-process host: the gateway's public
/// edge.v1 types and the test's would clash in one compilation.
/// </summary>
public sealed class GatewayProcess : IAsyncLifetime
{
    /// <summary>Base64 of the 32-byte key the gateway verifies device tokens with.</summary>
    public const string SigningKey = "Y2xpZW50LXNkay10ZXN0cy1zaWduaW5nLWtleS0zMmJ5dGVzIQ==";

    private readonly StringBuilder _output = new();
    private readonly string[] _settings;
    private Process? _process;
    private GrpcChannel? _admin;

    public GatewayProcess()
        : this([])
    {
    }

    /// <summary>A gateway with more settings, as command-line arguments (<c>--Edge:Intake:MaxScanBatch</c>, <c>5</c>).</summary>
    internal GatewayProcess(string[] settings) => _settings = settings;

    public Uri Address { get; private set; } = null!;

    /// <summary>The embedded core simulator, for its <c>core.v1.Admin</c> service.</summary>
    public Uri CoreAddress { get; private set; } = null!;

    /// <summary>The core simulator's Admin service: faults, manifest versions, what the core received.</summary>
    public Core.V1.Admin.AdminClient CoreAdmin => new(_admin ??= GrpcChannel.ForAddress(CoreAddress));

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("edge-sdk-gw-").FullName;

    public async Task InitializeAsync()
    {
        var dll = typeof(GatewayProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "GatewayAssembly").Value!;
        var port = FreePort();
        var corePort = FreePort();
        var info = new ProcessStartInfo("dotnet",
            [dll, "--urls", $"http://127.0.0.1:{port}", "--Edge:DataDirectory", DataDirectory, "--Edge:Auth:SigningKey", SigningKey,
             "--Logging:LogLevel:Default", "Warning", "--Edge:Core:EmbeddedPort", corePort.ToString(CultureInfo.InvariantCulture),
             // A core that comes back is used again within a second, not after the production pauses.
             "--Edge:Forwarding:RetryAttempts", "1", "--Edge:Forwarding:RetryBaseDelay", "00:00:00.050",
             "--Edge:Forwarding:MaxRetryDelay", "00:00:00.300", "--Edge:Forwarding:BreakDuration", "00:00:00.500",
             .. _settings])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["DOTNET_gcServer"] = "0";
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Address = new Uri($"http://127.0.0.1:{port}");
        CoreAddress = new Uri($"http://127.0.0.1:{corePort}");

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

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

    public Task DisposeAsync()
    {
        _admin?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        Directory.Delete(DataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayProcess>
{
    public const string Name = "gateway";
}

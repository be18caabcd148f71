using System.Globalization;

namespace Edge.Testing;

/// <summary>
/// The core simulator (the built Edge.CoreSim.dll, beside the gateway's) as a process of its own on a loopback port,
/// checking the token test gateways present (<see cref="TestTokens.CoreAccessToken"/>): for tests in which the core
/// goes away and comes back on the same address with what it had stored.
/// </summary>
public sealed class CoreSimProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private CoreSimProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The address a gateway's <c>Edge:Core:Address</c> takes.</summary>
    public string Address => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>What the simulator wrote so far.</summary>
    public string Output => _process.Output;

    /// <summary>Starts a simulator on <paramref name="port"/> storing in <paramref name="dataDirectory"/> and waits until it listens.</summary>
    public static async Task<CoreSimProcess> StartAsync(int port, string dataDirectory)
    {
        var assembly = Path.Combine(Path.GetDirectoryName(GatewayProcess.GatewayAssembly())!, "Edge.CoreSim.dll");
        var process = ChildProcess.StartDotnet(assembly,
        [
            "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--CoreSim:DataDirectory", dataDirectory,
            "--CoreSim:AccessToken", TestTokens.CoreAccessToken,
        ]);
        await process.WaitUntilListeningAsync("core simulator", TimeSpan.FromSeconds(60), port);
        return new CoreSimProcess(process, port);
    }

    /// <summary>SIGKILL.</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

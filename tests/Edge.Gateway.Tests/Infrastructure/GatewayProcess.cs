using System.Diagnostics;
using System.Net.Sockets;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway as a separate OS process (the built Edge.Gateway.dll), for tests that kill it or run two replicas.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private GatewayProcess(Process process, int port)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

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

    public static async Task<GatewayProcess> StartAsync(string dataDirectory, string? redis = null, int? port = null, params string[] extraArgs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Edge.Gateway.dll");
        var chosen = port ?? RedisServer.FreePort();
        var args = new List<string>
        {
            dll,
            "--urls", $"http://127.0.0.1:{chosen}",
            "--Edge:DataDirectory", dataDirectory,
            "--Edge:Auth:SigningKey", GatewayHost.SigningKey,
        };
        if (redis is not null)
        {
            args.AddRange(["--Edge:Redis", redis]);
        }

        args.AddRange(extraArgs);
        var info = new ProcessStartInfo("dotnet", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info)!;
        var gateway = new GatewayProcess(process, chosen);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with {process.ExitCode}:\n{gateway.Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", chosen);
                return gateway;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
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
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The gateway did not stop within 30 s of SIGTERM:\n{Output}");
        }

        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

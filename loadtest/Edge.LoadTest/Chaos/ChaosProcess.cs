using System.Diagnostics;
using System.Net.Sockets;

namespace Edge.LoadTest.Chaos;

/// <summary>
/// A child process of the chaos run (a gateway, the core simulator, redis-server) on a known loopback port: started,
/// killed with SIGKILL at any moment, and started again with the same arguments. Its output goes to a log file.
/// </summary>
internal sealed class ChaosProcess : IAsyncDisposable
{
    private readonly ProcessStartInfo _start;
    private readonly StreamWriter _log;
    private Process? _process;

    public ChaosProcess(string name, int port, string logDirectory, string fileName, IEnumerable<string> arguments)
    {
        Name = name;
        Port = port;
        _start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            _start.ArgumentList.Add(argument);
        }

        _log = new StreamWriter(Path.Combine(logDirectory, name + ".log")) { AutoFlush = true };
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>Starts the process and returns once its port accepts connections.</summary>
    public async Task StartAsync()
    {
        _process = Process.Start(_start) ?? throw new InvalidOperationException($"{Name} did not start");
        _process.OutputDataReceived += (_, e) => Write(e.Data);
        _process.ErrorDataReceived += (_, e) => Write(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!await AcceptsAsync())
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new InvalidOperationException($"{Name} did not start (see {Name}.log)");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL: no drain, no flush; what was acknowledged must already be durable.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
        Write("--- killed (SIGKILL) ---");
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _log.DisposeAsync();
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(System.Net.IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.WriteLine(line);
            }
        }
    }
}

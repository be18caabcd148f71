using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Edge.Testing;

/// <summary>
/// A <c>dotnet</c> process a test starts (a gateway, a core simulator): its output is kept for failure messages, and
/// it is SIGKILLed when disposed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
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

    /// <summary>
    /// Runs <c>dotnet <paramref name="assembly"/> <paramref name="arguments"/></c> in the assembly's folder, with
    /// workstation GC (several processes and the tests share a few cores) and these environment variables.
    /// </summary>
    public static ChildProcess StartDotnet(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        info.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var child = new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
        child._process.OutputDataReceived += (_, e) => child.Append(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until every port accepts connections; kills the process and throws when it exits or the time runs out.</summary>
    public async Task WaitUntilListeningAsync(string what, TimeSpan timeout, params int[] ports)
    {
        var deadline = Stopwatch.StartNew();
        while (!await AllAcceptAsync(ports))
        {
            if (_process.HasExited || deadline.Elapsed > timeout)
            {
                Kill();
                throw new InvalidOperationException($"The {what} did not start (exit code {(_process.HasExited ? _process.ExitCode : -1)}):\n{Output}");
            }

            await Task.Delay(100);
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

    /// <summary>SIGTERM, as an orchestrator stops a node. Returns the exit code; throws when it is still running after <paramref name="patience"/>.</summary>
    public async Task<int> TerminateAsync(TimeSpan patience)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The process did not stop within {patience} of SIGTERM:\n{Output}");
        }

        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<bool> AllAcceptAsync(int[] ports)
    {
        foreach (var port in ports)
        {
            if (!await FreePorts.AcceptsAsync(port))
            {
                return false;
            }
        }

        return true;
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

using System.Diagnostics;
using System.Globalization;

namespace Edge.Fleet.Weaklink;

/// <summary>
/// The weaklink's own cuts (<c>cut.sh PORT INTERVAL OUTAGE MODE</c>), made in the kernel of the server's namespace:
/// every TCP connection to the port is reset every interval and new ones are refused for the outage, the same for any
/// protocol. <c>both</c> also destroys the server's sockets; <c>client</c> leaves them half-open. Started when the upload
/// starts, stopped (SIGTERM, which removes its rule) when it ends; its "cut" lines are counted and can be traced.
/// </summary>
internal sealed class KernelCuts : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _reading;
    private int _cuts;
    private double _cutAt = -1;
    private double _outageSeconds;
    private int _outages;

    private KernelCuts(Process process, Action<string>? trace)
    {
        _process = process;
        _reading = ReadAsync(trace);
    }

    /// <summary>Cuts made so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>
    /// The mean time from a cut to its restore, as the script reports them: the outage it asks for plus what its
    /// commands take (on a loaded machine noticeably more than the outage asked for).
    /// </summary>
    public TimeSpan MeanOutage => _outages == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(_outageSeconds / _outages);

    /// <summary>Starts <paramref name="script"/> for connections to <paramref name="port"/>: a cut every <paramref name="every"/>.</summary>
    public static KernelCuts Start(string script, int port, TimeSpan every, string mode, Action<string>? trace)
    {
        if (!File.Exists(script))
        {
            throw new ArgumentException($"--kernel-cuts: no cut script at {script}");
        }

        if (mode is not ("both" or "client"))
        {
            throw new ArgumentException($"--cut-mode for kernel cuts is both or client, not {mode}");
        }

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, port.ToString(CultureInfo.InvariantCulture), every.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), "1", mode })
        {
            start.ArgumentList.Add(argument);
        }

        return new KernelCuts(Process.Start(start) ?? throw new InvalidOperationException("bash did not start"), trace);
    }

    public async ValueTask DisposeAsync()
    {
        // TERM: the script removes its REJECT rule before it exits (a cut in progress ends early).
        await ProcessStop.TerminateAsync(_process, TimeSpan.FromSeconds(10));
        await _reading;
        _process.Dispose();
    }

    private async Task ReadAsync(Action<string>? trace)
    {
        var errors = _process.StandardError.ReadToEndAsync();
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            // "t=10.424 cut (both)", then "t=11.967 restore".
            var at = line.StartsWith("t=", StringComparison.Ordinal) && double.TryParse(line[2..].Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : -1;
            if (line.Contains(" cut", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _cuts);
                _cutAt = at;
            }
            else if (line.Contains(" restore", StringComparison.Ordinal) && _cutAt >= 0 && at >= _cutAt)
            {
                _outageSeconds += at - _cutAt;
                _outages++;
                _cutAt = -1;
            }

            trace?.Invoke($"cut.sh: {line}");
        }

        if ((await errors).Trim() is { Length: > 0 } error)
        {
            trace?.Invoke($"cut.sh (stderr): {error}");
        }
    }
}

using System.Diagnostics;
using System.Globalization;

namespace Edge.Fleet;

/// <summary>Ending a child process the way an operator would: SIGTERM, and a kill only if it does not exit in time.</summary>
internal static class ProcessStop
{
    public static async Task TerminateAsync(Process process, TimeSpan patience)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var waiting = new CancellationTokenSource(patience);
        try
        {
            await process.WaitForExitAsync(waiting.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}

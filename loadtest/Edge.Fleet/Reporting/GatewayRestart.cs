using Edge.Fleet.Links;
using Edge.LoadTest;

namespace Edge.Fleet.Reporting;

/// <summary>
/// A restart of the gateway during the run, and how the fleet came back: device connection attempts and connections
/// the gateway took, per second, from the restart on (the stampede a fleet makes when every device retries at once).
/// </summary>
internal sealed record GatewayRestart(TimeSpan At, string Signal, TimeSpan Stopping, TimeSpan Starting)
{
    /// <summary>How long after the gateway is back the figures look.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    public void AddTo(BenchmarkReport report, LinkCounters links)
    {
        var back = At + Stopping + Starting;
        var before = links.PeakPerSecond(TimeSpan.Zero, At);
        var during = links.PeakPerSecond(At, back + Window);
        report.Parameters["gateway_restart"] = $"SIG{Signal} at {At.TotalSeconds:0} s";
        report.Add("gateway restart at", At.TotalSeconds, "s");
        report.Add($"gateway restart: stopping (SIG{Signal} to exit)", Stopping.TotalSeconds, "s");
        report.Add("gateway restart: starting (to accepting)", Starting.TotalSeconds, "s");
        report.Add("peak device connection attempts per second, before the restart", before.Attempts, "/s");
        report.Add("peak device connection attempts per second, restart to 60 s after", during.Attempts, "/s");
        report.Add("peak gateway connections per second, before the restart", before.Connections, "/s");
        report.Add("peak gateway connections per second, restart to 60 s after", during.Connections, "/s");
        report.Add("gateway connections in the 5 s from the restart", links.ConnectionsPerSecond(At, At + TimeSpan.FromSeconds(5)).Sum(), "");
        report.Add("busiest second for gateway connections, counted from the restart's", during.ConnectionsAt < 0 ? 0 : during.ConnectionsAt - (long)At.TotalSeconds, "s");
        Console.WriteLine($"gateway connections per second from the restart at {At.TotalSeconds:0} s (back at {back.TotalSeconds:0.0} s): " +
            string.Join(' ', links.ConnectionsPerSecond(At, back + TimeSpan.FromSeconds(30))));
        Console.WriteLine($"device connection attempts per second from the restart: " +
            string.Join(' ', links.AttemptsPerSecond(At, back + TimeSpan.FromSeconds(30))));
    }
}

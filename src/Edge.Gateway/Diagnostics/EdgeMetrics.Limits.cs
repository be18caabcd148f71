using System.Diagnostics.Metrics;

namespace Edge.Gateway.Diagnostics;

internal sealed partial class EdgeMetrics
{
    private Counter<long> _limitsRefused = null!;
    private Counter<long> _prefaceTimeouts = null!;

    /// <summary>A per-device budget refused a call or ended a stream (tag <c>limit</c>).</summary>
    public void LimitRefused(string limit) => _limitsRefused.Add(1, new KeyValuePair<string, object?>("limit", limit));

    /// <summary>A connection closed because it sent no HTTP/2 preface in time.</summary>
    public void PrefaceTimedOut() => _prefaceTimeouts.Add(1);

    private void CreateLimitInstruments(Meter meter)
    {
        _limitsRefused = meter.CreateCounter<long>("edge.limits.refused", "{call}", "Calls refused or streams ended by a per-device budget, by limit.");
        _prefaceTimeouts = meter.CreateCounter<long>("edge.connections.preface_timeouts", "{connection}", "Connections closed for sending no HTTP/2 preface (or TLS hello) in time.");
    }
}

using System.Diagnostics.Metrics;

namespace Edge.Gateway.Diagnostics;

/// <summary>Photo reuse instruments.</summary>
internal sealed partial class EdgeMetrics
{
    private Counter<long> _photoReuseChecks = null!;
    private Histogram<double> _photoReuseDuration = null!;

    /// <summary>A proof's photos compared with earlier proofs: the outcome (none, reused, repeat_delivery, failed) and the time taken.</summary>
    public void PhotoReuseChecked(string outcome, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _photoReuseChecks.Add(1, tag);
        _photoReuseDuration.Record(elapsed.TotalSeconds, tag);
    }

    private void CreatePhotoReuseInstruments(Meter meter)
    {
        _photoReuseChecks = meter.CreateCounter<long>("edge.proofs.photo_reuse", "{proof}",
            "Proofs whose photos were compared with earlier proofs, by outcome (none, reused, repeat_delivery, failed).");
        _photoReuseDuration = meter.CreateHistogram<double>("edge.proofs.photo_reuse.duration", "s",
            "Time to compare a proof's photos with the reuse index and record them.");
    }
}

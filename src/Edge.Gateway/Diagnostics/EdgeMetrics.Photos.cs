using System.Diagnostics.Metrics;
using Edge.Gateway.Imaging;
using Edge.V1;

namespace Edge.Gateway.Diagnostics;

/// <summary>Photo pipeline instruments.</summary>
internal sealed partial class EdgeMetrics
{
    private Counter<long> _photosProcessed = null!;
    private Counter<long> _photosRejected = null!;
    private Counter<long> _photosBusy = null!;
    private Histogram<double> _photoDuration = null!;
    private Func<int>? _photosPending;

    /// <summary>A photo the pipeline accepted, with what it found, and how long it took (queue wait included).</summary>
    public void PhotoProcessed(PhotoReport report, TimeSpan elapsed)
    {
        var format = new KeyValuePair<string, object?>("format", report.Format.ToLowerInvariant());
        _photosProcessed.Add(1, format, new KeyValuePair<string, object?>("verdict", VerdictName(report.Verdict)));
        _photoDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "processed"), format);
    }

    /// <summary>A photo the pipeline refused, and how long that took.</summary>
    public void PhotoRejected(PhotoRejection reason, TimeSpan elapsed)
    {
        _photosRejected.Add(1, new KeyValuePair<string, object?>("reason", RejectionName(reason)));
        _photoDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "rejected"));
    }

    /// <summary>A photo turned away because every worker was busy and the queue full (the device retries).</summary>
    public void PhotoBusy() => _photosBusy.Add(1);

    /// <summary>Where <c>edge.photo.pending</c> reads the photos being processed or waiting for a worker.</summary>
    public void ObservePhotosPending(Func<int> pending) => _photosPending = pending;

    private static string RejectionName(PhotoRejection reason) => reason switch
    {
        PhotoRejection.UnsupportedFormat => "unsupported_format",
        PhotoRejection.TooManyBytes => "too_many_bytes",
        PhotoRejection.TooManyPixels => "too_many_pixels",
        _ => "damaged",
    };

    private static string VerdictName(PhotoReport.Types.Verdict verdict) => verdict switch
    {
        PhotoReport.Types.Verdict.Ok => "ok",
        PhotoReport.Types.Verdict.TooDark => "too_dark",
        PhotoReport.Types.Verdict.Blurry => "blurry",
        _ => "unspecified",
    };

    private void CreatePhotoInstruments(Meter meter)
    {
        _photosProcessed = meter.CreateCounter<long>("edge.photo.processed", "{photo}",
            "Photos validated, stripped and stored, by format (jpeg, png, heic) and quality verdict (ok, too_dark, blurry).");
        _photosRejected = meter.CreateCounter<long>("edge.photo.rejected", "{photo}",
            "Uploads refused as photos, by reason (unsupported_format, too_many_bytes, too_many_pixels, damaged).");
        _photosBusy = meter.CreateCounter<long>("edge.photo.busy", "{photo}",
            "Completed uploads answered RESOURCE_EXHAUSTED because the photo workers and their queue were full.");
        meter.CreateObservableGauge("edge.photo.pending", () => _photosPending?.Invoke() ?? 0, "{photo}",
            "Photos being processed or waiting for a photo worker (at most workers + queue length; beyond that, busy).");
        _photoDuration = meter.CreateHistogram<double>("edge.photo.duration", "s",
            "Time from a complete upload's hand-off to the photo pipeline to its answer, queue wait included, by outcome.");
    }
}

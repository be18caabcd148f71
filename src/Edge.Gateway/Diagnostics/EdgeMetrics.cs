using System.Diagnostics.Metrics;

namespace Edge.Gateway.Diagnostics;

/// <summary>The gateway's instruments, on the <c>Edge.Gateway</c> meter.</summary>
internal sealed partial class EdgeMetrics
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Edge.Gateway";

    private readonly Counter<long> _uploadsStarted;
    private readonly Counter<long> _uploadsCompleted;
    private readonly Counter<long> _uploadsResumed;
    private readonly Counter<long> _uploadsTakenOver;
    private readonly Counter<long> _uploadsFailed;
    private readonly Counter<long> _uploadBytes;
    private readonly Counter<long> _chunksRefused;
    private readonly Counter<long> _dedupeHits;
    private readonly Histogram<double> _syncDuration;
    private long _stagingBytes;

    public EdgeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _uploadsStarted = meter.CreateCounter<long>("edge.upload.started", "{upload}", "Upload streams that began receiving bytes.");
        _uploadsCompleted = meter.CreateCounter<long>("edge.upload.completed", "{upload}", "Uploads stored completely.");
        _uploadsResumed = meter.CreateCounter<long>("edge.upload.resumed", "{upload}", "Upload streams that continued an existing upload.");
        _uploadsTakenOver = meter.CreateCounter<long>("edge.upload.taken_over", "{upload}", "Upload streams that displaced a live writer.");
        _uploadsFailed = meter.CreateCounter<long>("edge.upload.failed", "{upload}", "Upload streams refused or ended with an error, by status code.");
        _uploadBytes = meter.CreateCounter<long>("edge.upload.bytes", "By", "Chunk bytes accepted.");
        _chunksRefused = meter.CreateCounter<long>("edge.upload.chunks_refused", "{chunk}", "Chunks refused, by reason.");
        _dedupeHits = meter.CreateCounter<long>("edge.upload.dedupe_hits", "{upload}", "Uploads answered at once because the blob already existed.");
        _syncDuration = meter.CreateHistogram<double>("edge.upload.sync.duration", "s", "Time to make received chunks durable (fsync and commit).");
        meter.CreateObservableGauge("edge.staging.bytes", () => Volatile.Read(ref _stagingBytes), "By", "Declared bytes of unfinished uploads.");
        CreateManifestInstruments(meter);
    }

    public void UploadStarted(bool resumed, bool tookOver)
    {
        _uploadsStarted.Add(1);
        if (resumed)
        {
            _uploadsResumed.Add(1);
        }

        if (tookOver)
        {
            _uploadsTakenOver.Add(1);
        }
    }

    public void UploadCompleted() => _uploadsCompleted.Add(1);

    public void UploadFailed(Grpc.Core.StatusCode code) => _uploadsFailed.Add(1, new KeyValuePair<string, object?>("rpc.grpc.status_code", code.ToString()));

    public void BytesReceived(long bytes) => _uploadBytes.Add(bytes);

    public void ChunkRefused(string reason) => _chunksRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DedupeHit() => _dedupeHits.Add(1);

    public void Synced(TimeSpan elapsed) => _syncDuration.Record(elapsed.TotalSeconds);

    public void SetStagingBytes(long bytes) => Volatile.Write(ref _stagingBytes, bytes);
}

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
    private readonly Counter<long> _uploadBytesAlreadyHeld;
    private readonly Counter<long> _dedupeHits;
    private readonly Histogram<double> _syncDuration;
    private long _stagingBytes;
    private readonly Counter<long> _scans;
    private readonly Counter<long> _proofsReceived;
    private readonly Histogram<double> _forwardDuration;
    private readonly Counter<long> _forwarded;
    private readonly Counter<long> _forwardRetries;
    private readonly Counter<long> _deadLetters;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Endpoint, Forwarding.OutboxLane Lane), int> _breakerStates = new();
    private Func<Forwarding.OutboxLane, (long Depth, double AgeSeconds)>? _outbox;

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
        _uploadBytesAlreadyHeld = meter.CreateCounter<long>("edge.upload.bytes_already_held", "By",
            "Chunk bytes received again that the gateway already held (sent by a resume that did not wait for the start answer).");
        _dedupeHits = meter.CreateCounter<long>("edge.upload.dedupe_hits", "{upload}", "Uploads answered at once because the blob already existed.");
        _syncDuration = meter.CreateHistogram<double>("edge.upload.sync.duration", "s", "Time to make received chunks durable (fsync and commit).");
        _scans = meter.CreateCounter<long>("edge.scans.recorded", "{event}", "Scan events answered, by outcome (accepted, duplicate, rejected).");
        _proofsReceived = meter.CreateCounter<long>("edge.proofs.received", "{proof}", "Proofs stored and answered RECEIVED.");
        _forwardDuration = meter.CreateHistogram<double>("edge.forward.duration", "s", "Time from an item's arrival in the outbox to the core's final answer, by lane.");
        _forwarded = meter.CreateCounter<long>("edge.forward.items", "{item}", "Items the core answered for good, by lane and outcome (committed, rejected).");
        _forwardRetries = meter.CreateCounter<long>("edge.forward.retries", "{call}", "Calls to the core retried after a transient failure.");
        _deadLetters = meter.CreateCounter<long>("edge.forward.dead_letters", "{item}", "Items moved to the dead-letter list, by lane.");
        meter.CreateObservableGauge("edge.outbox.depth", () => OutboxMeasurements(b => b.Depth), "{entry}",
            "Outbox entries waiting for the core (all replicas), measured when read (at most 1 s old by default).");
        meter.CreateObservableGauge("edge.outbox.age", () => OutboxMeasurements(b => b.AgeSeconds), "s",
            "Age of the oldest outbox entry, measured when read (at most 1 s old by default).");
        meter.CreateObservableGauge("edge.forward.breaker.state", () => _breakerStates.Select(kv => new Measurement<int>(kv.Value,
            new KeyValuePair<string, object?>("lane", LaneName(kv.Key.Lane)), new KeyValuePair<string, object?>("endpoint", kv.Key.Endpoint))), "{state}",
            "Circuit breaker of each lane towards each core endpoint: 0 closed, 1 half-open, 2 open.");
        meter.CreateObservableGauge("edge.staging.bytes", () => Volatile.Read(ref _stagingBytes), "By", "Declared bytes of unfinished uploads.");
        CreateManifestInstruments(meter);
        CreatePhotoInstruments(meter);
        CreatePhotoReuseInstruments(meter);
        CreateLimitInstruments(meter);
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

    public void BytesAlreadyHeld(long bytes) => _uploadBytesAlreadyHeld.Add(bytes);

    public void ChunkRefused(string reason) => _chunksRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DedupeHit() => _dedupeHits.Add(1);

    public void Synced(TimeSpan elapsed) => _syncDuration.Record(elapsed.TotalSeconds);

    public void SetStagingBytes(long bytes) => Volatile.Write(ref _stagingBytes, bytes);

    public void ScansRecorded(int accepted, int duplicates, int rejected)
    {
        _scans.Add(accepted, new KeyValuePair<string, object?>("outcome", "accepted"));
        _scans.Add(duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
        _scans.Add(rejected, new KeyValuePair<string, object?>("outcome", "rejected"));
    }

    public void ProofReceived() => _proofsReceived.Add(1);

    public void Forwarded(Forwarding.OutboxLane lane, bool committed, TimeSpan sinceEnqueued)
    {
        var laneTag = new KeyValuePair<string, object?>("lane", LaneName(lane));
        _forwarded.Add(1, laneTag, new KeyValuePair<string, object?>("outcome", committed ? "committed" : "rejected"));
        _forwardDuration.Record(Math.Max(0, sinceEnqueued.TotalSeconds), laneTag);
    }

    public void ForwardRetried() => _forwardRetries.Add(1);

    public void DeadLettered(Forwarding.OutboxLane lane) => _deadLetters.Add(1, new KeyValuePair<string, object?>("lane", LaneName(lane)));

    /// <summary>Where the outbox gauges read the backlog of a lane when the metrics are collected.</summary>
    public void ObserveOutbox(Func<Forwarding.OutboxLane, (long Depth, double AgeSeconds)> read) => Volatile.Write(ref _outbox, read);

    /// <summary>0 closed, 1 half-open, 2 open.</summary>
    public void SetBreakerState(string endpoint, Forwarding.OutboxLane lane, int state) => _breakerStates[(endpoint, lane)] = state;

    private IEnumerable<Measurement<T>> OutboxMeasurements<T>(Func<(long Depth, double AgeSeconds), T> select)
        where T : struct
    {
        if (Volatile.Read(ref _outbox) is not { } read)
        {
            return [];
        }

        return [new Measurement<T>(select(read(Forwarding.OutboxLane.Scans)), new KeyValuePair<string, object?>("lane", "scans")),
            new Measurement<T>(select(read(Forwarding.OutboxLane.Proofs)), new KeyValuePair<string, object?>("lane", "proofs"))];
    }

    private static string LaneName(Forwarding.OutboxLane lane) => lane == Forwarding.OutboxLane.Scans ? "scans" : "proofs";
}

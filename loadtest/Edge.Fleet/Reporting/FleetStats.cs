using System.Diagnostics;
using HdrHistogram;

namespace Edge.Fleet.Reporting;

/// <summary>What the devices did and saw, summed over the fleet. Thread-safe.</summary>
internal sealed class FleetStats
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProofRecord> _proofs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _earlyCommits = new(StringComparer.Ordinal);
    private readonly HashSet<string> _scanIds = new(StringComparer.Ordinal);
    private readonly LongHistogram _uploadMicros = new(TimeSpan.FromHours(2).Ticks / 10, 3);
    private readonly LongHistogram _photoToCommitMicros = new(TimeSpan.FromHours(2).Ticks / 10, 3);
    private readonly LongHistogram _submitToCommitMicros = new(TimeSpan.FromHours(2).Ticks / 10, 3);
    private long _stops;
    private long _photosTaken;
    private long _photosUploaded;
    private long _uploadFailures;
    private long _sdkResumes;
    private long _proofsCommitted;
    private long _proofsRejected;
    private long _photoProofsCommitted;
    private long _scansRejected;
    private long _duplicateScanIds;
    private long _errors;
    private int _devicesRunning;

    public long Stops => Interlocked.Read(ref _stops);

    public long PhotosTaken => Interlocked.Read(ref _photosTaken);

    public long PhotosUploaded => Interlocked.Read(ref _photosUploaded);

    public long UploadFailures => Interlocked.Read(ref _uploadFailures);

    /// <summary>Resumes the SDK reported through <c>UploadProgress.Attempt</c> of direct uploads.</summary>
    public long SdkResumes => Interlocked.Read(ref _sdkResumes);

    public long ProofsCommitted => Interlocked.Read(ref _proofsCommitted);

    public long ProofsRejected => Interlocked.Read(ref _proofsRejected);

    public long PhotoProofsCommitted => Interlocked.Read(ref _photoProofsCommitted);

    public long ScansRejected => Interlocked.Read(ref _scansRejected);

    public long Errors => Interlocked.Read(ref _errors);

    public int DevicesRunning => Volatile.Read(ref _devicesRunning);

    public int ProofsSent
    {
        get
        {
            lock (_gate)
            {
                return _proofs.Count;
            }
        }
    }

    public int PhotoProofsSent
    {
        get
        {
            lock (_gate)
            {
                return _proofs.Values.Count(p => p.PhotoSha256 is not null);
            }
        }
    }

    public int ScansSent
    {
        get
        {
            lock (_gate)
            {
                return _scanIds.Count;
            }
        }
    }

    public void DeviceStarted() => Interlocked.Increment(ref _devicesRunning);

    public void DeviceStopped() => Interlocked.Decrement(ref _devicesRunning);

    public void StopDone() => Interlocked.Increment(ref _stops);

    public void PhotoTaken() => Interlocked.Increment(ref _photosTaken);

    public void Error() => Interlocked.Increment(ref _errors);

    public void ScanRejected() => Interlocked.Increment(ref _scansRejected);

    public void ScanQueued(string eventId)
    {
        lock (_gate)
        {
            if (!_scanIds.Add(eventId))
            {
                _duplicateScanIds++;
            }
        }
    }

    public void Uploaded(TimeSpan elapsed, int attempts)
    {
        Interlocked.Increment(ref _photosUploaded);
        Interlocked.Add(ref _sdkResumes, attempts - 1);
        lock (_gate)
        {
            _uploadMicros.RecordValue((long)elapsed.TotalMicroseconds);
        }
    }

    public void UploadFailed() => Interlocked.Increment(ref _uploadFailures);

    /// <summary>A proof queued on a device; <paramref name="takenAt"/> is when its photo was taken (or the proof made).</summary>
    public void ProofQueued(ProofRecord proof)
    {
        lock (_gate)
        {
            _proofs[proof.ProofId] = proof;
            if (_earlyCommits.Remove(proof.ProofId, out var committedAt))
            {
                CommittedLocked(proof, committedAt);
            }
        }
    }

    public void ProofCommitted(string proofId)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_proofs.TryGetValue(proofId, out var proof))
            {
                CommittedLocked(proof, now);
            }
            else
            {
                _earlyCommits[proofId] = now;
            }
        }
    }

    public void ProofRejected() => Interlocked.Increment(ref _proofsRejected);

    public IReadOnlyList<ProofRecord> Proofs()
    {
        lock (_gate)
        {
            return [.. _proofs.Values];
        }
    }

    public IReadOnlySet<string> ScanIds()
    {
        lock (_gate)
        {
            return new HashSet<string>(_scanIds, StringComparer.Ordinal);
        }
    }

    public long DuplicateScanIds
    {
        get
        {
            lock (_gate)
            {
                return _duplicateScanIds;
            }
        }
    }

    public (LongHistogram Upload, LongHistogram PhotoToCommit, LongHistogram SubmitToCommit) Histograms()
    {
        lock (_gate)
        {
            return ((LongHistogram)_uploadMicros.Copy(), (LongHistogram)_photoToCommitMicros.Copy(), (LongHistogram)_submitToCommitMicros.Copy());
        }
    }

    private void CommittedLocked(ProofRecord proof, long committedAt)
    {
        if (proof.CommittedAt is not null)
        {
            return; // a receipt said it twice (stream and poll)
        }

        proof.CommittedAt = committedAt;
        Interlocked.Increment(ref _proofsCommitted);
        _submitToCommitMicros.RecordValue((long)Stopwatch.GetElapsedTime(proof.SubmittedAt, committedAt).TotalMicroseconds);
        if (proof.PhotoSha256 is not null)
        {
            Interlocked.Increment(ref _photoProofsCommitted);
            _photoToCommitMicros.RecordValue((long)Stopwatch.GetElapsedTime(proof.TakenAt, committedAt).TotalMicroseconds);
        }
    }
}

/// <summary>One proof a device queued.</summary>
internal sealed class ProofRecord
{
    public required string ProofId { get; init; }

    public required string DeviceId { get; init; }

    public required string RouteId { get; init; }

    public required string StopId { get; init; }

    public required IReadOnlyList<string> PackageIds { get; init; }

    /// <summary>SHA-256 of the photo the device took; null for a stop without photo (confidential, opted out).</summary>
    public string? PhotoSha256 { get; init; }

    /// <summary><see cref="Stopwatch"/> timestamp of the photo (or of the proof, without photo).</summary>
    public long TakenAt { get; init; }

    public long SubmittedAt { get; init; }

    public long? CommittedAt { get; set; }
}

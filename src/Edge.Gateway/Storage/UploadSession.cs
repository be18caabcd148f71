using Edge.Gateway.Blobs;

namespace Edge.Gateway.Storage;

/// <summary>Where an upload stands.</summary>
internal enum UploadState
{
    /// <summary>Bytes are being received.</summary>
    InProgress = 1,

    /// <summary>Every byte is in and the blob is stored.</summary>
    Completed = 2,
}

/// <summary>
/// The bytes one writer (one stream, identified by its epoch) wrote, from <see cref="Start"/> up to the start of the
/// next segment, or up to the committed offset for the last one. Every writer gets its own segment file, so an old
/// writer that has not yet noticed it was taken over can never interleave its bytes with the new writer's.
/// </summary>
internal readonly record struct StagingSegment(long Epoch, long Start);

/// <summary>The shared state of one upload.</summary>
internal sealed record UploadSession(
    string UploadId,
    string DeviceId,
    string Sha256,
    long SizeBytes,
    string ContentType,
    UploadState State,
    long CommittedOffset,
    long Epoch,
    IReadOnlyList<StagingSegment> Segments,
    DateTimeOffset CreatedAt,
    DateTimeOffset TouchedAt,
    BlobRecord? Blob)
{
    /// <summary>
    /// The segments after a new writer's claim at <paramref name="committedOffset"/>: its own segment appended, or, when
    /// the last writer added nothing (its segment starts at the committed offset), put in that one's place, so a
    /// device that reconnects again and again without progress does not grow the list.
    /// </summary>
    public static StagingSegment[] NextSegments(IReadOnlyList<StagingSegment> segments, long epoch, long committedOffset)
    {
        var kept = segments.Count > 0 && segments[^1].Start >= committedOffset ? segments.Take(segments.Count - 1) : segments;
        return [.. kept, new StagingSegment(epoch, committedOffset)];
    }

    /// <summary>Encodes segments as <c>epoch:start,epoch:start</c>.</summary>
    public static string FormatSegments(IEnumerable<StagingSegment> segments)
        => string.Join(',', segments.Select(s => FormattableString.Invariant($"{s.Epoch}:{s.Start}")));

    /// <summary>Decodes what <see cref="FormatSegments"/> wrote.</summary>
    public static IReadOnlyList<StagingSegment> ParseSegments(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var parts = text.Split(',');
        var segments = new StagingSegment[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var colon = parts[i].IndexOf(':', StringComparison.Ordinal);
            segments[i] = new StagingSegment(
                long.Parse(parts[i].AsSpan(0, colon), System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(parts[i].AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture));
        }

        return segments;
    }
}

/// <summary>A stream's request to write an upload.</summary>
internal sealed record UploadClaim(
    string UploadId,
    string DeviceId,
    string Sha256,
    long SizeBytes,
    string ContentType,
    DateTimeOffset Now,
    DateTimeOffset LeaseUntil,
    int MaxConcurrentUploadsPerDevice,
    long MaxStagingBytes,
    bool OnlyIfIdle = false,
    int MaxUnfinishedPerDevice = int.MaxValue,
    long MaxStagingBytesPerDevice = long.MaxValue);

/// <summary>How a claim ended.</summary>
internal enum ClaimOutcome
{
    /// <summary>The caller is now the upload's only writer, at <see cref="UploadSession.Epoch"/>.</summary>
    Claimed,

    /// <summary>The upload is already complete.</summary>
    Completed,

    /// <summary>The upload id belongs to another device.</summary>
    OtherDevice,

    /// <summary>The upload id was started for a different object (digest or size).</summary>
    DifferentObject,

    /// <summary>The device already has the maximum number of uploads in progress.</summary>
    TooManyUploads,

    /// <summary>Staging space is used up.</summary>
    StagingFull,

    /// <summary>The device has the maximum number of unfinished uploads.</summary>
    TooManyUnfinished,

    /// <summary>The device's unfinished uploads have reserved its share of staging space.</summary>
    DeviceStagingFull,

    /// <summary>A writer holds a live lease and the claim asked not to take over (<see cref="UploadClaim.OnlyIfIdle"/>).</summary>
    WriterActive,
}

/// <summary>How a completion ended.</summary>
/// <param name="Completed">False when another writer took the upload over (nothing changed).</param>
/// <param name="Record">The record the index holds for the digest: this completion's, or the one stored first.</param>
/// <param name="Added">True when this completion added the record (its files are now referenced).</param>
internal sealed record CompletionResult(bool Completed, BlobRecord? Record, bool Added);

/// <summary>The answer to a claim.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Session">The session after the claim (null for <see cref="ClaimOutcome.OtherDevice"/> and refusals).</param>
/// <param name="TookOver">True when another writer still held a live lease and was displaced.</param>
/// <param name="Existed">True when the session existed before (a resume).</param>
internal sealed record ClaimResult(ClaimOutcome Outcome, UploadSession? Session, bool TookOver = false, bool Existed = false);

using Edge.Gateway.Blobs;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Imaging;
using Edge.Gateway.Imaging.Faces;
using Edge.Gateway.Storage;

namespace Edge.Gateway.Uploads;

/// <summary>
/// Turns an upload whose bytes are all durable into a stored photo: verify the digest, run the photo pipeline, put
/// the outputs in the content-addressed store, record them with the device's hold and complete the session in one
/// step, then drop the staged bytes. Every step can run again: the staged bytes stay until the session is complete,
/// the store keeps identical bytes once, and the record step is atomic, so a crash anywhere leaves a state the next
/// resume or the sweeper completes.
/// </summary>
internal sealed class PhotoIngest(
    IUploadSessionStore sessions,
    IBlobIndex index,
    StagingArea staging,
    BlobStore store,
    IPhotoPipeline photos,
    FaceRedactor faces,
    CompletionFaults faults,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    ILogger<PhotoIngest> logger)
{
    private readonly string _workRoot = Path.Combine(Path.GetDirectoryName(store.TempRoot)!, "work");

    /// <summary>Folder of the pipeline's work folders (removed by the sweeper when a crash left them).</summary>
    public string WorkRoot => _workRoot;

    /// <summary>
    /// Completes the upload, for the writer holding its epoch. <paramref name="receivedSha256"/> is the digest the writer
    /// computed while receiving; null to compute it from the staged bytes. <paramref name="routes"/> are the routes of the
    /// device's token, which decide whether faces are blurred (null when no device call is at hand: see
    /// <see cref="FaceRedactor.AppliesTo"/>).
    /// </summary>
    /// <exception cref="UploadDigestMismatchException">The bytes are not the declared object; the upload was discarded.</exception>
    /// <exception cref="PhotoRejectedException">Not an acceptable photo; the upload was discarded.</exception>
    /// <exception cref="PhotoPipelineBusyException">The photo workers are saturated; the bytes stay staged.</exception>
    /// <exception cref="UploadTakenOverException">Another writer took the upload over.</exception>
    public async Task<BlobRecord> CompleteAsync(UploadSession session, string? receivedSha256, IReadOnlySet<string>? routes, CancellationToken cancellationToken)
    {
        session = session with { CommittedOffset = session.SizeBytes };
        var actual = receivedSha256 ?? ComputeStagedSha256(session);
        if (actual != session.Sha256)
        {
            UploadLog.DigestMismatch(logger, session.UploadId, session.Sha256, actual);
            await DiscardAsync(session);
            throw new UploadDigestMismatchException(actual);
        }

        // The same bytes are stored already (another device, or an earlier completion): the device gets its hold on
        // them without running the pipeline again.
        var record = await index.GetAsync(session.Sha256, cancellationToken) is { } existing && existing.Files.All(store.Exists)
            ? existing
            : await ProcessAsync(session, routes, cancellationToken);

        var result = await sessions.TryCompleteAsync(session, record, timeProvider.GetUtcNow(), cancellationToken);
        if (!result.Completed)
        {
            throw new UploadTakenOverException();
        }

        faults.Reached(CompletionStep.Indexed);
        var stands = result.Record!;
        if (!result.Added)
        {
            await DropUnrecordedAsync(record, stands, cancellationToken);
        }

        if (!stands.Files.All(store.Exists))
        {
            // A sweep of unreferenced files ran between storing and recording: store the bytes again.
            await ProcessAsync(session, routes, cancellationToken);
        }

        staging.Delete(session.UploadId);
        faults.Reached(CompletionStep.StagingRemoved);
        metrics.UploadCompleted();
        UploadLog.Completed(logger, session.UploadId, session.DeviceId, stands.StoredSha256, stands.StoredSizeBytes);
        return stands;
    }

    private async Task<BlobRecord> ProcessAsync(UploadSession session, IReadOnlySet<string>? routes, CancellationToken cancellationToken)
    {
        var work = Path.Combine(_workRoot, Guid.NewGuid().ToString("N"));
        PrivateFiles.CreateDirectory(work);
        try
        {
            var assembled = staging.Assemble(session, work);
            faults.Reached(CompletionStep.Assembled);
            var processed = await RunPipelineAsync(session, assembled, work, faces.AppliesTo(routes), cancellationToken);
            faults.Reached(CompletionStep.Processed);

            // Outputs in the work folder are the store's to take; the staged file itself stays until completion.
            var stored = store.Put(processed.StoredPath, IsInside(processed.StoredPath, work) ? PutMode.Move : PutMode.Keep);
            var thumbnail = processed.ThumbnailPath is null ? (StoredFile?)null : store.Put(processed.ThumbnailPath, PutMode.Move);
            faults.Reached(CompletionStep.Stored);
            var facts = processed.Report is { } report ? BlobRecordWire.FromReport(report, thumbnail?.Sha256 ?? string.Empty) : null;
            return new BlobRecord(session.Sha256, stored.Sha256, stored.SizeBytes, processed.ContentType, facts);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<ProcessedPhoto> RunPipelineAsync(UploadSession session, string assembled, string work, bool redactFaces, CancellationToken cancellationToken)
    {
        var handedOver = timeProvider.GetTimestamp();
        try
        {
            var processed = await photos.ProcessAsync(new PhotoSource(assembled, session.SizeBytes, session.Sha256, session.ContentType, work, session.DeviceId, redactFaces), cancellationToken);
            if (processed.Report is { } photo)
            {
                metrics.PhotoProcessed(photo, timeProvider.GetElapsedTime(handedOver));
            }

            return processed;
        }
        catch (PhotoRejectedException e)
        {
            metrics.PhotoRejected(e.Reason, timeProvider.GetElapsedTime(handedOver));
            UploadLog.PhotoRejected(logger, session.UploadId, e.Message);
            await DiscardAsync(session);
            throw;
        }
        catch (PhotoPipelineBusyException)
        {
            metrics.PhotoBusy();
            throw;
        }
    }

    // The digest had a record already (stored first by another completion): files this completion stored that the
    // standing record does not name are nobody's.
    private async Task DropUnrecordedAsync(BlobRecord mine, BlobRecord stands, CancellationToken cancellationToken)
    {
        foreach (var file in mine.Files.Except(stands.Files, StringComparer.Ordinal))
        {
            if (!await index.IsFileReferencedAsync(file, cancellationToken))
            {
                store.Delete(file);
            }
        }
    }

    private async Task DiscardAsync(UploadSession session)
    {
        await sessions.DiscardAsync(session, CancellationToken.None);
        staging.Delete(session.UploadId);
    }

    private string ComputeStagedSha256(UploadSession session)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        staging.ReadCommitted(session, span => hash.AppendData(span));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static bool IsInside(string path, string folder)
        => Path.GetFullPath(path).StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}

/// <summary>The received bytes are not the declared object.</summary>
internal sealed class UploadDigestMismatchException(string actualSha256)
    : Exception($"The received bytes have SHA-256 {actualSha256}, not the declared one.")
{
    public string ActualSha256 { get; } = actualSha256;
}

/// <summary>Another writer took the upload over while this one completed it.</summary>
internal sealed class UploadTakenOverException() : Exception("The upload was taken over by a newer stream.");

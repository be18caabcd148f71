using Edge.Gateway.Blobs;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Uploads;

/// <summary>
/// Finishes uploads whose bytes were all in when their writer stopped (a crash during completion, a device that never
/// came back), removes uploads left untouched for <see cref="UploadOptions.StagingTtl"/> with their staged bytes, and
/// work folders and staging folders that no session owns any more. Safe to run on every replica at once: each step is
/// conditional on the session still being idle.
/// </summary>
internal sealed class StagingSweeper(
    IUploadSessionStore sessions,
    StagingArea staging,
    BlobStore blobs,
    PhotoIngest ingest,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<UploadOptions> options,
    ILogger<StagingSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, timeProvider);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                UploadLog.SweepFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass. Returns the number of uploads expired.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken, DateTimeOffset? at = null)
    {
        var now = at ?? timeProvider.GetUtcNow();
        await CompleteStrandedAsync(now, cancellationToken);
        var expired = await ExpireAsync(now - options.Value.EmptyUploadTtl, sessions.ListEmptyAsync, cancellationToken);
        expired += await ExpireAsync(now - options.Value.StagingTtl, sessions.ListIdleAsync, cancellationToken);

        // File times are the operating system's wall clock, whatever clock the gateway's logic runs on.
        var wallClock = DateTimeOffset.UtcNow;
        RemoveStale(staging.Root, wallClock - options.Value.StagingTtl);
        RemoveStale(ingest.WorkRoot, wallClock - TimeSpan.FromHours(1));
        RemoveStale(blobs.TempRoot, wallClock - TimeSpan.FromHours(1));
        metrics.SetStagingBytes(await sessions.GetReservedStagingBytesAsync(cancellationToken));
        return expired;
    }

    private async Task<int> ExpireAsync(DateTimeOffset cutoff,
        Func<DateTimeOffset, int, CancellationToken, Task<IReadOnlyList<UploadSession>>> list, CancellationToken cancellationToken)
    {
        var expired = 0;
        IReadOnlyList<UploadSession> idle;
        do
        {
            idle = await list(cutoff, 500, cancellationToken);
            foreach (var session in idle)
            {
                if (await sessions.TryExpireAsync(session.UploadId, cutoff, cancellationToken))
                {
                    staging.Delete(session.UploadId);
                    UploadLog.Expired(logger, session.UploadId, session.TouchedAt);
                    expired++;
                }
            }
        }
        while (idle.Count == 500);

        return expired;
    }

    /// <summary>
    /// Completes uploads that hold every byte but whose writer is gone (its lease ran out), so the device finds its photo
    /// stored even if it never resumes. Returns how many were completed.
    /// </summary>
    public async Task<int> CompleteStrandedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var completed = 0;
        foreach (var idle in await sessions.ListFullyReceivedAsync(now - options.Value.WriterLease, 100, cancellationToken))
        {
            var claim = await sessions.ClaimAsync(
                new UploadClaim(idle.UploadId, idle.DeviceId, idle.Sha256, idle.SizeBytes, idle.ContentType, now, now + options.Value.WriterLease,
                    int.MaxValue, long.MaxValue, OnlyIfIdle: true),
                cancellationToken);
            if (claim.Outcome != ClaimOutcome.Claimed)
            {
                continue;
            }

            try
            {
                await ingest.CompleteAsync(claim.Session!, receivedSha256: null, routes: null, cancellationToken);
                UploadLog.StrandedCompleted(logger, idle.UploadId);
                completed++;
            }
            catch (Exception e) when (e is UploadDigestMismatchException or Imaging.PhotoRejectedException or UploadTakenOverException)
            {
                // Settled: discarded, or another writer has it.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await sessions.ReleaseAsync(claim.Session!, CancellationToken.None);
                UploadLog.StrandedFailed(logger, idle.UploadId, e);
            }
        }

        return completed;
    }

    // A folder or file whose contents were all last written before the cutoff belongs to no live upload. Another replica's
    // sweeper (or this one's timer) may remove the same folders at the same time: a folder gone is a folder done.
    private static void RemoveStale(string root, DateTimeOffset cutoff)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var file in new DirectoryInfo(root).EnumerateFiles())
        {
            try
            {
                if (file.LastWriteTimeUtc < cutoff.UtcDateTime)
                {
                    file.Delete();
                }
            }
            catch (IOException)
            {
                // In use or gone; the next pass decides again.
            }
        }

        foreach (var folder in new DirectoryInfo(root).EnumerateDirectories())
        {
            try
            {
                var newest = folder.EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
                    .Select(f => f.LastWriteTimeUtc)
                    .Append(folder.LastWriteTimeUtc)
                    .Max();
                if (newest < cutoff.UtcDateTime)
                {
                    folder.Delete(recursive: true);
                }
            }
            catch (DirectoryNotFoundException)
            {
                // Removed meanwhile.
            }
            catch (IOException)
            {
                // In use right now; the next pass decides again.
            }
        }
    }
}

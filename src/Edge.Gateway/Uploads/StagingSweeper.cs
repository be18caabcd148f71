using Edge.Gateway.Diagnostics;
using Edge.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Uploads;

/// <summary>
/// Removes uploads left untouched for <see cref="UploadOptions.StagingTtl"/> with their staged bytes, and work
/// folders and staging folders that no session owns any more. Safe to run on every replica at once: each removal is
/// conditional on the session still being idle.
/// </summary>
internal sealed class StagingSweeper(
    IUploadSessionStore sessions,
    StagingArea staging,
    BlobStore blobs,
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
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var cutoff = now - options.Value.StagingTtl;
        var expired = 0;
        IReadOnlyList<UploadSession> idle;
        do
        {
            idle = await sessions.ListIdleAsync(cutoff, 500, cancellationToken);
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

        RemoveStale(staging.Root, cutoff);
        RemoveStale(blobs.WorkRoot, now - TimeSpan.FromHours(1));
        metrics.SetStagingBytes(await sessions.GetReservedStagingBytesAsync(cancellationToken));
        return expired;
    }

    // A folder whose files were all last written before the cutoff belongs to no live upload. Another replica's
    // sweeper (or this one's timer) may remove the same folders at the same time: a folder gone is a folder done.
    private static void RemoveStale(string root, DateTimeOffset cutoff)
    {
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

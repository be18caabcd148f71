using Edge.Gateway.Forwarding;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Blobs;

/// <summary>
/// Lets stored photos go: those the core has had for the retention, those no proof named for
/// <see cref="BlobOptions.UnclaimedRetention"/>, and stored files no record names (a crash between storing a file and
/// recording it). Safe on every replica at once: each release is one conditional step in the index.
/// </summary>
internal sealed class BlobSweeper(
    IBlobIndex index,
    BlobStore store,
    TimeProvider timeProvider,
    IOptions<BlobOptions> options,
    IOptions<ForwardingOptions> forwarding,
    ILogger<BlobSweeper> logger) : BackgroundService
{
    private const int Batch = 200;
    private DateTimeOffset _lastFileSweep = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, timeProvider);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                BlobsLog.SweepFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass; returns how many photos were released.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var before = now - forwarding.Value.BlobRetention;
        var unclaimedBefore = now - options.Value.UnclaimedRetention;
        var total = 0;
        while (true)
        {
            var digests = await index.ListReleasableAsync(before, unclaimedBefore, Batch, cancellationToken);
            var released = 0;
            foreach (var digest in digests)
            {
                if (await index.TryReleaseAsync(digest, before, unclaimedBefore, cancellationToken) is { } release)
                {
                    DeleteFiles(store, release);
                    BlobsLog.Released(logger, digest, release.UnreferencedFiles.Count);
                    released++;
                }
            }

            total += released;
            if (digests.Count < Batch || released == 0)
            {
                break;
            }
        }

        if (now - _lastFileSweep >= options.Value.UnreferencedFileSweepInterval)
        {
            _lastFileSweep = now;
            // File times are the operating system's wall clock, whatever clock the gateway's logic runs on.
            await DeleteUnreferencedFilesAsync(DateTimeOffset.UtcNow - options.Value.UnreferencedFileGrace, cancellationToken);
        }

        return total;
    }

    /// <summary>Deletes the stored files a release left unreferenced.</summary>
    public static void DeleteFiles(BlobStore store, BlobRelease release)
    {
        foreach (var file in release.UnreferencedFiles)
        {
            store.Delete(file);
        }
    }

    /// <summary>
    /// Deletes stored files older than <paramref name="before"/> that no record names. A file being stored right now
    /// is newer than that (storing renews an existing file's time), and a completion that records a file checks it is
    /// still there afterwards.
    /// </summary>
    public async Task<int> DeleteUnreferencedFilesAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var file in store.ListOlderThan(before))
        {
            if (!await index.IsFileReferencedAsync(file, cancellationToken) && store.Delete(file))
            {
                BlobsLog.UnreferencedFileDeleted(logger, file);
                deleted++;
            }
        }

        return deleted;
    }
}

using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// Forgets scan ids and finished proofs past the dedupe window, and deletes photos the core has had for the blob
/// retention (never one a proof still waits to forward).
/// </summary>
internal sealed class ForwardingSweeper(
    IScanStore scans,
    IPhotoRetention retention,
    BlobStore blobs,
    TimeProvider timeProvider,
    IOptions<ForwardingOptions> options,
    ILogger<ForwardingSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
                await Task.Delay(options.Value.SweepInterval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                ForwardingLog.SweepFailed(logger, e);
                try
                {
                    await Task.Delay(options.Value.SweepInterval, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        await scans.SweepAsync(cancellationToken);
        var before = timeProvider.GetUtcNow() - options.Value.BlobRetention;
        while (true)
        {
            var digests = await retention.ListReleasableAsync(before, 200, cancellationToken);
            var released = 0;
            foreach (var digest in digests)
            {
                if (await retention.TryReleaseAsync(digest, before, cancellationToken) is { } blob)
                {
                    blobs.Delete(blob.StoredSha256);
                    if (blob.Photo is { ThumbnailSha256.Length: > 0 } photo)
                    {
                        blobs.Delete(photo.ThumbnailSha256);
                    }

                    released++;
                    ForwardingLog.PhotoReleased(logger, digest);
                }
            }

            if (digests.Count < 200 || released == 0)
            {
                return;
            }
        }
    }
}

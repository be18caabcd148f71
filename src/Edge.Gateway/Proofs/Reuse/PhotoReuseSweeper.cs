using Microsoft.Extensions.Options;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>Removes prints older than the reuse window from the index, every <see cref="PhotoReuseOptions.SweepInterval"/>.</summary>
internal sealed class PhotoReuseSweeper(
    IPhotoPrintIndex index,
    TimeProvider timeProvider,
    IOptions<PhotoReuseOptions> options,
    ILogger<PhotoReuseSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                PhotoReuseLog.SweepFailed(logger, e);
            }

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

    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var before = timeProvider.GetUtcNow() - options.Value.Window;
        var removed = await index.RemoveExpiredAsync(before, cancellationToken);
        PhotoReuseLog.Expired(logger, removed, before);
        return removed;
    }
}

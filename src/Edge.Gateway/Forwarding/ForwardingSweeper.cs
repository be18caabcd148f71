using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// Forgets scan ids past the dedupe window (photos are let go by <see cref="Blobs.BlobSweeper"/>).
/// </summary>
internal sealed class ForwardingSweeper(
    IScanStore scans,
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
    }
}

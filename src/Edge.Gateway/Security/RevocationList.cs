using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Security;

/// <summary>
/// This replica's copy of the revoked tokens and devices, read from the state store before the gateway listens and
/// again every <see cref="DeviceTokenOptions.RevocationRefresh"/>, so that checking a call is a dictionary lookup
/// and a revocation made anywhere (a <c>revoke-token</c> command, another replica) holds everywhere within that time.
/// When the store cannot be read, the last list read stays in force.
/// </summary>
internal sealed class RevocationList(IRevocationStore store, IOptions<DeviceTokenOptions> options, TimeProvider time, ILogger<RevocationList> logger)
    : BackgroundService
{
    private volatile Snapshot _current = Snapshot.Empty;

    /// <summary>True when the token (by <c>jti</c>) or its device (for tokens issued at or before the revocation) is revoked.</summary>
    public bool IsRevoked(string tokenId, string deviceId, DateTimeOffset issuedAt)
    {
        var current = _current;
        return current.Tokens.ContainsKey(tokenId)
            || (current.Devices.TryGetValue(deviceId, out var at) && issuedAt <= at);
    }

    /// <summary>Reads the list from the store now.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var revocations = await store.ListAsync(time.GetUtcNow(), cancellationToken);
        _current = new Snapshot(
            revocations.Where(r => r.Kind == RevocationKind.Token).DistinctBy(r => r.Id).ToFrozenDictionary(r => r.Id, r => r.At, StringComparer.Ordinal),
            revocations.Where(r => r.Kind == RevocationKind.Device).GroupBy(r => r.Id, StringComparer.Ordinal)
                .ToFrozenDictionary(g => g.Key, g => g.Max(r => r.At), StringComparer.Ordinal));
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            SecurityLog.RevocationRefreshFailed(logger, e);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationRefresh, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                SecurityLog.RevocationRefreshFailed(logger, e);
            }
        }
    }

    private sealed record Snapshot(FrozenDictionary<string, DateTimeOffset> Tokens, FrozenDictionary<string, DateTimeOffset> Devices)
    {
        public static readonly Snapshot Empty = new(FrozenDictionary<string, DateTimeOffset>.Empty, FrozenDictionary<string, DateTimeOffset>.Empty);
    }
}

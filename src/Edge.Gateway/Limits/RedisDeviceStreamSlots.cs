using System.Collections.Concurrent;
using Edge.Gateway.Storage.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Limits;

/// <summary>
/// Redis mode: a device's long-lived streams (watches, scan streams) counted across every replica. Each open stream is
/// a lease, a member of a sorted set per device, method and route scored by its expiry on Redis's clock, claimed in one
/// script that first drops the expired leases. The replica serving the stream renews its lease every third of
/// <see cref="DeviceLimitOptions.StreamLease"/> and removes it when the stream ends; the leases of a replica that died
/// run out within the lease time, and its devices' slots are free again.
/// </summary>
internal sealed class RedisDeviceStreamSlots(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    TimeProvider timeProvider,
    IOptions<DeviceLimitOptions> options,
    ILogger<RedisDeviceStreamSlots> logger) : BackgroundService, IDeviceStreamSlots
{
    // KEYS: the leases. ARGV: lease id, lease ms, most leases, '1' to renew. Returns 1 when the lease is held, else 0.
    // A renewal takes its lease back even past the most: one that ran out while Redis could not be reached belongs to a
    // stream that is still open, and a Redis pause must not end a device's stream.
    private const string ClaimScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if ARGV[4] ~= '1' and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
          return 0
        end
        local ms = tonumber(ARGV[2])
        redis.call('ZADD', KEYS[1], now + ms, ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ms)
        return 1
        """;

    private readonly ConcurrentDictionary<Lease, byte> _held = new();
    private readonly TimeSpan _leaseTime = options.Value.StreamLease;

    private IDatabase Db => redis.GetDatabase();

    public async ValueTask<IAsyncDisposable?> TryOpenAsync(string method, string deviceId, string key, int max, CancellationToken cancellationToken)
    {
        // Not cancelled once sent: a claim that went through must be known here, to be renewed and released.
        cancellationToken.ThrowIfCancellationRequested();
        var lease = new Lease(keys.DeviceStreams(deviceId, method, key), Guid.NewGuid().ToString("N"));
        if (!await ClaimAsync(lease, max, renew: false))
        {
            return null;
        }

        _held[lease] = 0;
        return new Slot(this, lease);
    }

    /// <summary>Renews every lease this replica holds, every third of the lease time, until the host stops.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_leaseTime / 3, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RenewAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the streams end and release their leases.
        }
    }

    private async Task RenewAsync()
    {
        var leases = _held.Keys.ToArray();
        var renewals = leases.Select(async lease =>
        {
            await ClaimAsync(lease, int.MaxValue, renew: true);

            // Released while the renewal was on its way: the renewal may have put it back.
            if (!_held.ContainsKey(lease))
            {
                await Db.SortedSetRemoveAsync(lease.Key, lease.Id);
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(renewals);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LimitsLog.StreamLeasesNotRenewed(logger, renewals.Count(t => t.IsFaulted), leases.Length, e.Message);
        }
        catch (ObjectDisposedException)
        {
            // The connection is closed: the process is stopping.
        }
    }

    private async Task<bool> ClaimAsync(Lease lease, int max, bool renew)
        => (long)await Db.ScriptEvaluateAsync(ClaimScript, [lease.Key],
            [lease.Id, (long)_leaseTime.TotalMilliseconds, max, renew ? "1" : "0"]) == 1;

    private async ValueTask ReleaseAsync(Lease lease)
    {
        _held.TryRemove(lease, out _);
        try
        {
            await Db.SortedSetRemoveAsync(lease.Key, lease.Id);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The lease runs out by itself within the lease time.
        }
    }

    private sealed record Lease(RedisKey Key, string Id);

    private sealed class Slot(RedisDeviceStreamSlots owner, Lease lease) : IAsyncDisposable
    {
        private int _closed;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _closed, 1) == 0 ? owner.ReleaseAsync(lease) : ValueTask.CompletedTask;
    }
}

using System.Diagnostics;
using System.Globalization;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Holds this process's replica id in Redis: a key with a short expiry (<see cref="LeaseTime"/>), renewed every third
/// of it, whose value names the holder (host, process id, process start time). A restarted replica finds its id held
/// by its dead predecessor: on the same host, a holder whose process is gone (or is another process under the same id,
/// as in a restarted container) is dead, and the lease is taken over at once; elsewhere, after the lease runs out.
/// When a live gateway holds the id, a configured id refuses to start; the default (host name) falls back to a
/// per-process id with a warning. Released on a clean stop, so a restart finds it free.
/// </summary>
internal sealed class RedisReplicaLease(IConnectionMultiplexer redis, RedisKeys keys, IOptions<EdgeOptions> options, TimeProvider timeProvider,
    ILogger<RedisReplicaLease> logger) : IReplicaIdentity, IAsyncDisposable
{
    /// <summary>How long a lease outlives its holder's last renewal.</summary>
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(3);

    private const string TakeOverScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        end
        return false
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private static readonly DateTime ProcessStarted = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    private readonly string _holder = string.Join('|', Environment.MachineName, Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        ProcessStarted.Ticks.ToString(CultureInfo.InvariantCulture), Guid.NewGuid().ToString("N"));

    private readonly CancellationTokenSource _stopping = new();
    private Task? _renewal;
    private string? _replicaId;

    private IDatabase Db => redis.GetDatabase();

    public async Task<string> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_replicaId is not null)
        {
            return _replicaId;
        }

        var configured = options.Value.ReplicaId;
        var wanted = string.IsNullOrWhiteSpace(configured) ? Sanitize(Environment.MachineName) : configured;
        if (!await TryAcquireAsync(wanted, cancellationToken))
        {
            if (!string.IsNullOrWhiteSpace(configured))
            {
                throw new InvalidOperationException(
                    $"Replica id '{configured}' (Edge:ReplicaId) is held by another live gateway. Each replica needs its own id.");
            }

            var fallback = $"{wanted}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}";
            ForwardingLog.ReplicaIdInUse(logger, wanted, fallback);
            if (!await TryAcquireAsync(fallback, cancellationToken))
            {
                throw new InvalidOperationException($"Replica id '{fallback}' could not be taken.");
            }

            wanted = fallback;
        }

        _replicaId = wanted;
        _renewal = Task.Run(() => RenewAsync(wanted, _stopping.Token), CancellationToken.None);
        return wanted;
    }

    /// <summary>Takes the lease: free, or held by a dead process, at once; held elsewhere, once it runs out.</summary>
    private async Task<bool> TryAcquireAsync(string replicaId, CancellationToken cancellationToken)
    {
        var key = keys.ReplicaLease(replicaId);
        var giveUpAt = timeProvider.GetUtcNow() + LeaseTime + LeaseTime;
        while (true)
        {
            if (await Db.StringSetAsync(key, _holder, LeaseTime, When.NotExists))
            {
                return true;
            }

            var holder = (string?)await Db.StringGetAsync(key);
            var state = holder is null ? HolderState.Elsewhere : Holder(holder);
            if (state == HolderState.Dead
                && !(await Db.ScriptEvaluateAsync(TakeOverScript, [key], [holder, _holder, (long)LeaseTime.TotalMilliseconds])).IsNull)
            {
                return true;
            }

            if (state == HolderState.AliveOnThisHost || timeProvider.GetUtcNow() >= giveUpAt)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), timeProvider, cancellationToken);
        }
    }

    /// <summary>
    /// Whether a lease's holder is on this host and alive, on this host and dead (its process is gone, or its process id
    /// is another process now, as a restarted container's pid 1), or elsewhere (known only by its lease running out).
    /// </summary>
    internal static HolderState Holder(string holder)
    {
        var parts = holder.Split('|');
        if (parts.Length != 4 || parts[0] != Environment.MachineName
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid) || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var started))
        {
            return HolderState.Elsewhere;
        }

        if (pid == Environment.ProcessId)
        {
            return started == ProcessStarted.Ticks ? HolderState.AliveOnThisHost : HolderState.Dead;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return Math.Abs(process.StartTime.ToUniversalTime().Ticks - started) > TimeSpan.TicksPerSecond ? HolderState.Dead : HolderState.AliveOnThisHost;
        }
        catch (ArgumentException)
        {
            return HolderState.Dead;
        }
        catch (InvalidOperationException)
        {
            return HolderState.Dead;
        }
    }

    internal enum HolderState
    {
        Elsewhere,
        AliveOnThisHost,
        Dead,
    }

    private async Task RenewAsync(string replicaId, CancellationToken cancellationToken)
    {
        var key = keys.ReplicaLease(replicaId);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(LeaseTime / 3, timeProvider, cancellationToken);
                var renewed = (long)await Db.ScriptEvaluateAsync(RenewScript, [key], [_holder, (long)LeaseTime.TotalMilliseconds]);
                if (renewed == 0)
                {
                    // Expired while Redis was unreachable (or Redis lost it): take it again if it is free.
                    ForwardingLog.ReplicaLeaseLost(logger, replicaId, "expired");
                    await Db.StringSetAsync(key, _holder, LeaseTime, When.NotExists);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                ForwardingLog.ReplicaLeaseLost(logger, replicaId, "Redis unreachable");
            }
            catch (ObjectDisposedException)
            {
                // The connection is closed: the process is stopping.
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_renewal is not null)
        {
            await _renewal;
        }

        if (_replicaId is not null)
        {
            try
            {
                await Db.ScriptEvaluateAsync(ReleaseScript, [keys.ReplicaLease(_replicaId)], [_holder]);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // It runs out by itself.
            }
        }

        _stopping.Dispose();
    }

    private static string Sanitize(string hostName)
    {
        var id = new string(hostName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray());
        return id.Length is > 0 and <= 64 ? id : id.Length == 0 ? "gateway" : id[..64];
    }
}

using Edge.Gateway.Diagnostics;
using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Redis mode answers a scan or proof RECEIVED once Redis has it: that is durable only when Redis writes its
/// append-only file and fsyncs it before answering (<c>appendonly yes</c>, <c>appendfsync always</c>). Checked as the
/// gateway starts (CONFIG GET on each primary, over a short-lived admin connection): with
/// <see cref="RedisDurability.Require"/> a server that is not durable, or whose settings cannot be read, stops the
/// start with the reason; with <see cref="RedisDurability.Warn"/> it is logged. A Redis unreachable at start is checked
/// once it answers (and the gateway stopped then if it must be).
/// </summary>
internal sealed partial class RedisDurabilityCheck(IConnectionMultiplexer redis, IOptions<EdgeOptions> options, IHostApplicationLifetime lifetime,
    ILogger<RedisDurabilityCheck> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ConnectWait;
        while (!redis.IsConnected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }

        if (redis.IsConnected)
        {
            Apply(await CheckAsync());
            return;
        }

        LogDurabilityUnknown(logger, "Redis is unreachable; checked once it answers");
        _ = Task.Run(() => CheckLaterAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await _stopping.CancelAsync();

    public void Dispose() => _stopping.Dispose();

    /// <summary>Null when every primary fsyncs every write; else why not (or why it cannot be told).</summary>
    internal async Task<string?> CheckAsync()
    {
        var configuration = ConfigurationOptions.Parse(redis.Configuration);
        configuration.AllowAdmin = true;
        configuration.AbortOnConnectFail = false;
        configuration.ClientName = "edge-durability-check";
        try
        {
            await using var admin = await ConnectionMultiplexer.ConnectAsync(configuration);
            var problems = new List<string>();
            foreach (var endpoint in admin.GetEndPoints())
            {
                var server = admin.GetServer(endpoint);
                if (!server.IsConnected || server.IsReplica)
                {
                    continue;
                }

                var settings = (await server.ConfigGetAsync("append*")).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
                var appendOnly = settings.GetValueOrDefault("appendonly", "?");
                var appendFsync = settings.GetValueOrDefault("appendfsync", "?");
                if (appendOnly != "yes" || appendFsync != "always")
                {
                    problems.Add($"{endpoint} runs with appendonly {appendOnly}, appendfsync {appendFsync}");
                }
            }

            return problems.Count == 0 ? null : string.Join("; ", problems);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return $"its persistence settings cannot be read ({e.Message})";
        }
    }

    private void Apply(string? problem)
    {
        if (problem is null)
        {
            LogDurable(logger);
            return;
        }

        var message = $"Redis does not make every write durable before answering it: {problem}. A Redis crash can then lose scans and proofs the "
            + "gateway already answered RECEIVED. Run Redis with --appendonly yes --appendfsync always, or set Edge:RedisDurability=Warn to accept that.";
        if (options.Value.RedisDurability == RedisDurability.Require)
        {
            throw new InvalidOperationException(message);
        }

        LogNotDurable(logger, message);
    }

    private async Task CheckLaterAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!redis.IsConnected)
            {
                await Task.Delay(500, cancellationToken);
            }

            Apply(await CheckAsync());
        }
        catch (OperationCanceledException)
        {
        }
        catch (InvalidOperationException e)
        {
            LogRefused(logger, e.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(EventIds.RedisDurabilityVerified, LogLevel.Information, "Redis fsyncs every write before answering it (appendonly yes, appendfsync always).")]
    private static partial void LogDurable(ILogger logger);

    [LoggerMessage(EventIds.RedisNotDurable, LogLevel.Warning, "{Message}")]
    private static partial void LogNotDurable(ILogger logger, string message);

    [LoggerMessage(EventIds.RedisDurabilityUnknown, LogLevel.Warning, "Redis durability not verified yet: {Reason}.")]
    private static partial void LogDurabilityUnknown(ILogger logger, string reason);

    [LoggerMessage(EventIds.RedisDurabilityRefused, LogLevel.Critical, "Stopping: {Message}")]
    private static partial void LogRefused(ILogger logger, string message);
}

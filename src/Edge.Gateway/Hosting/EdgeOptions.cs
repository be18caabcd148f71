namespace Edge.Gateway.Hosting;

/// <summary>Where the gateway keeps its state. Bound from the <c>Edge</c> configuration section.</summary>
public sealed class EdgeOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge";

    /// <summary>
    /// Directory for staging files, the content-addressed blob store and (in embedded mode) the SQLite state file.
    /// Shared between replicas when scaled out. Default: <c>data</c> under the working directory.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// StackExchange.Redis connection string. When set, the gateway runs in Redis mode (state shared between
    /// replicas); when empty, in embedded mode (SQLite under <see cref="DataDirectory"/>). Default: empty.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every Redis key the gateway writes. Default: <c>edge:</c>.</summary>
    public string RedisKeyPrefix { get; set; } = "edge:";

    /// <summary>
    /// How often the state store is probed for grpc.health.v1. <c>Check</c> and <c>Watch</c> answer from the latest
    /// probe, so a storm of health checks never reaches Redis or the SQLite file, and a dead store shows as
    /// NOT_SERVING within this period. Default: 2 seconds.
    /// </summary>
    public TimeSpan HealthProbePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>True when a Redis connection string is configured.</summary>
    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}

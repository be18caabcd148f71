using System.ComponentModel.DataAnnotations;

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

    /// <summary>
    /// Redis mode: this replica's id, the name its forwarders take as outbox consumers, so a restarted replica finds
    /// the entries its previous process held at once. One live process holds an id at a time (a lease in Redis). Letters,
    /// digits, <c>.</c>, <c>_</c> and <c>-</c>, at most 64. Default: empty, meaning the host name (stable across restarts of a
    /// container or machine); when another live gateway holds it, a per-process id is used instead, with a warning.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9._-]{1,64}$")]
    public string? ReplicaId { get; set; }

    /// <summary>
    /// Redis mode: what the gateway does when Redis does not fsync every write (<c>appendonly yes</c> and
    /// <c>appendfsync always</c>), i.e. when a Redis crash could lose scans and proofs already answered RECEIVED.
    /// <see cref="RedisDurability.Require"/> refuses to start (and stops the gateway when a Redis it reaches later
    /// is not durable); <see cref="RedisDurability.Warn"/> starts and logs a warning. Default: Require.
    /// </summary>
    public RedisDurability RedisDurability { get; set; } = RedisDurability.Require;

    /// <summary>True when a Redis connection string is configured.</summary>
    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}

/// <summary>What the gateway asks of Redis's persistence before it answers writes in Redis mode.</summary>
public enum RedisDurability
{
    /// <summary>Refuse to run unless Redis fsyncs every write before answering it (<c>appendfsync always</c>).</summary>
    Require = 0,

    /// <summary>Run anyway, with a warning that a Redis crash can lose up to a second of acknowledged writes.</summary>
    Warn = 1,
}

using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Manifests;

/// <summary>Caching and rules of route manifests. Bound from <c>Edge:Manifests</c>.</summary>
public sealed class ManifestOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Manifests";

    /// <summary>
    /// How long a manifest is served from the cache (memory and Redis) before the core is asked again. A version the
    /// core publishes replaces the cached one at once, whatever is left of this. Default: 5 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Deadline of one manifest call to the core. Default: 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After the core could not be reached, how long the gateway serves last known good manifests without asking it
    /// again; also the retry hint sent with UNAVAILABLE for a route it never fetched. Default: 3 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long Redis keeps a route's last known good manifest after it was last fetched. Default: 7 days.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan LastGoodRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A proof made farther than this from its stop (great-circle distance, metres) is flagged off-site. Default: 150.</summary>
    [Range(1.0, 100_000.0)]
    public double OffSiteMeters { get; set; } = 150;
}

namespace Edge.Gateway.Hosting;

/// <summary>How handhelds reach the gateway. Bound from <c>Edge:Transport</c>.</summary>
public sealed class TransportOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Transport";

    /// <summary>
    /// Permits cleartext (<c>http://</c>) endpoints outside Development, or on a non-loopback address in Development:
    /// for a gateway behind a proxy or mesh that terminates TLS, and for test harnesses on loopback. Device tokens and
    /// photos then cross that hop in the clear. Default: false (outside Development every endpoint must be TLS).
    /// </summary>
    public bool AllowCleartext { get; set; }
}

namespace Edge.Gateway.Security;

/// <summary>How device bearer tokens are checked. Bound from <c>Edge:Auth</c>.</summary>
public sealed class DeviceTokenOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Auth";

    /// <summary>
    /// HMAC-SHA256 signing key, base64, at least 32 bytes. When empty, <see cref="SigningKeyFile"/> is used. Default: empty.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// File holding the base64 signing key. When neither this nor <see cref="SigningKey"/> is set, the gateway uses
    /// <c>device-signing.key</c> in the data directory and creates it with a random key on first start (fine for
    /// local use; configure a managed key in production). Default: empty.
    /// </summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>Required <c>iss</c> of device tokens. Default: <c>edge</c>.</summary>
    public string Issuer { get; set; } = "edge";

    /// <summary>Required <c>aud</c> of device tokens. Default: <c>edge.v1</c>.</summary>
    public string Audience { get; set; } = "edge.v1";

    /// <summary>Clock skew tolerated when checking expiry. Default: 30 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}

namespace Edge.Gateway.Security;

/// <summary>How device bearer tokens are checked. Bound from <c>Edge:Auth</c>.</summary>
public sealed class DeviceTokenOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Auth";

    /// <summary>
    /// HMAC-SHA256 signing key, base64, at least 32 bytes: the key tokens are signed with (by <c>mint-token</c> and the
    /// enrolment service) and checked against. When empty, <see cref="SigningKeyFile"/> is used. Default: empty.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// File holding the base64 signing key. When neither this nor <see cref="SigningKey"/> is set, the gateway uses
    /// <c>device-signing.key</c> in the data directory and creates it with a random key on first start (fine for
    /// local use; configure a managed key in production). Default: empty.
    /// </summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>
    /// Further base64 keys whose tokens are accepted too, for a key rotation: the key being retired (or the next one,
    /// before it becomes <see cref="SigningKey"/>). Each token names its key by <c>kid</c> (the first 16 hex digits of
    /// the key's SHA-256); a token naming no configured key is refused. Default: none.
    /// </summary>
    public IList<string> AdditionalSigningKeys { get; } = [];

    /// <summary>Required <c>iss</c> of device tokens. Default: <c>edge</c>.</summary>
    public string Issuer { get; set; } = "edge";

    /// <summary>Required <c>aud</c> of device tokens. Default: <c>edge.v1</c>.</summary>
    public string Audience { get; set; } = "edge.v1";

    /// <summary>Clock skew tolerated when checking expiry and issue time. Default: 30 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest lifetime of a device token (<c>exp</c> minus <c>iat</c>); a token valid for longer is refused. Revoked
    /// tokens and devices are remembered this long. Default: 24 hours.
    /// </summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How often each replica reads the revoked tokens and devices from the state store (SQLite or Redis): a
    /// revocation takes effect everywhere within this time. Default: 2 seconds.
    /// </summary>
    public TimeSpan RevocationRefresh { get; set; } = TimeSpan.FromSeconds(2);
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Edge.Testing;

/// <summary>
/// Device tokens as a gateway under test expects them (see src/Edge.Gateway/Security/DeviceTokens.cs), made without
/// the gateway's code: a JWT signed HS256 with <see cref="SigningKey"/>, header <c>kid</c> the key's id (first 16 hex
/// digits of its SHA-256), <c>sub</c> the device, <c>driver</c>, <c>routes</c>, <c>iss</c> <c>edge</c>, <c>aud</c>
/// <c>edge.v1</c>, a fresh <c>jti</c>, <c>iat</c> now and a lifetime within the gateway's 24-hour maximum.
/// </summary>
public static class TestTokens
{
    /// <summary>Base64 of the 32-byte key every gateway the tests start verifies tokens with.</summary>
    public const string SigningKey = "dGVzdC1zaWduaW5nLWtleS1mb3ItZWRnZS1nYXRld2F5LXRlc3RzIQ==";

    /// <summary>The token gateways the tests start send to their core (<c>Edge:Core:AccessToken</c>).</summary>
    public const string CoreAccessToken = "test-core-access-token-0123456789abcdef";

    /// <param name="routes">Route ids in the token; <c>R-0001</c> when none are given.</param>
    /// <param name="lifetime">From now; negative for a token that has expired. One hour when not given.</param>
    /// <param name="signingKey">Base64 key; another than <see cref="SigningKey"/> makes a token the gateway refuses.</param>
    /// <param name="tokenId">The <c>jti</c>; a fresh one when null, none at all when empty.</param>
    /// <param name="keyId">The header's <c>kid</c>; the signing key's id when null, none at all when empty.</param>
    public static string Mint(string deviceId, IReadOnlyList<string>? routes = null, TimeSpan? lifetime = null, string signingKey = SigningKey,
        string driverId = "driver-1", string? tokenId = null, string? keyId = null)
    {
        var now = DateTimeOffset.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromHours(1));
        var key = Convert.FromBase64String(signingKey);
        var header = new Dictionary<string, string> { ["alg"] = "HS256", ["typ"] = "JWT" };
        keyId ??= KeyId(signingKey);
        if (keyId.Length > 0)
        {
            header["kid"] = keyId;
        }

        var claims = new Dictionary<string, object>
        {
            ["sub"] = deviceId,
            ["driver"] = driverId,
            ["routes"] = routes is { Count: > 0 } ? routes : ["R-0001"],
            ["iss"] = "edge",
            ["aud"] = "edge.v1",
            ["iat"] = Math.Min(now.ToUnixTimeSeconds(), expires.ToUnixTimeSeconds()),
            ["nbf"] = Math.Min(now.AddMinutes(-1).ToUnixTimeSeconds(), expires.ToUnixTimeSeconds() - 1),
            ["exp"] = expires.ToUnixTimeSeconds(),
        };
        tokenId ??= Guid.NewGuid().ToString("N");
        if (tokenId.Length > 0)
        {
            claims["jti"] = tokenId;
        }

        var encoded = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims))}";
        return $"{encoded}.{Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(encoded)))}";
    }

    /// <summary>The <c>kid</c> of a base64 key as the gateway computes it.</summary>
    public static string KeyId(string signingKey) => Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(signingKey)))[..16];

    /// <summary>The <c>jti</c> of a token.</summary>
    public static string TokenId(string token)
    {
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        using var document = JsonDocument.Parse(Convert.FromBase64String(payload));
        return document.RootElement.GetProperty("jti").GetString()!;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

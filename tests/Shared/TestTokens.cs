using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Edge.Testing;

/// <summary>
/// Device tokens as a gateway under test expects them (see src/Edge.Gateway/Security/DeviceTokens.cs), made without
/// the gateway's code: a JWT signed HS256 with <see cref="SigningKey"/>, <c>sub</c> the device, <c>driver</c>,
/// <c>routes</c>, <c>iss</c> <c>edge</c>, <c>aud</c> <c>edge.v1</c>.
/// </summary>
public static class TestTokens
{
    /// <summary>Base64 of the 32-byte key every gateway the tests start verifies tokens with.</summary>
    public const string SigningKey = "dGVzdC1zaWduaW5nLWtleS1mb3ItZWRnZS1nYXRld2F5LXRlc3RzIQ==";

    /// <param name="routes">Route ids in the token; <c>R-0001</c> when none are given.</param>
    /// <param name="lifetime">From now; negative for a token that has expired. One hour when not given.</param>
    /// <param name="signingKey">Base64 key; another than <see cref="SigningKey"/> makes a token the gateway refuses.</param>
    public static string Mint(string deviceId, IReadOnlyList<string>? routes = null, TimeSpan? lifetime = null, string signingKey = SigningKey, string driverId = "driver-1")
    {
        var now = DateTimeOffset.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromHours(1));
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = deviceId,
            ["driver"] = driverId,
            ["routes"] = routes is { Count: > 0 } ? routes : ["R-0001"],
            ["iss"] = "edge",
            ["aud"] = "edge.v1",
            ["iat"] = Math.Min(now.ToUnixTimeSeconds(), expires.ToUnixTimeSeconds()),
            ["nbf"] = Math.Min(now.AddMinutes(-1).ToUnixTimeSeconds(), expires.ToUnixTimeSeconds() - 1),
            ["exp"] = expires.ToUnixTimeSeconds(),
        }));
        var signature = HMACSHA256.HashData(Convert.FromBase64String(signingKey), Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

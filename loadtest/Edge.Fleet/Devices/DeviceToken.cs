using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Edge.Fleet.Devices;

/// <summary>
/// A device token as the gateway expects it (see src/Edge.Gateway/Security/DeviceTokens.cs): HS256 over the gateway's
/// key named by <c>kid</c> (first 16 hex digits of its SHA-256), <c>sub</c> the device, <c>driver</c>, <c>routes</c>,
/// <c>iss</c> <c>edge</c>, <c>aud</c> <c>edge.v1</c>, a fresh <c>jti</c>, <c>iat</c>, and a lifetime of at most the
/// gateway's maximum (24 hours by default; longer is cut to it).
/// </summary>
internal static class DeviceToken
{
    /// <summary>The gateway's default <c>Edge:Auth:MaxLifetime</c>.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);

    public static string Mint(byte[] key, string deviceId, string driverId, IReadOnlyList<string> routes, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["alg"] = "HS256",
            ["typ"] = "JWT",
            ["kid"] = Convert.ToHexStringLower(SHA256.HashData(key))[..16],
        }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = deviceId,
            ["driver"] = driverId,
            ["routes"] = routes,
            ["iss"] = "edge",
            ["aud"] = "edge.v1",
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + (long)(lifetime < MaxLifetime ? lifetime : MaxLifetime).TotalSeconds,
        }));
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Edge.Fleet.Devices;

/// <summary>
/// A device token as the gateway expects it (see src/Edge.Gateway/Security/DeviceTokens.cs): HS256 over the gateway's
/// key, <c>sub</c> the device, <c>driver</c>, <c>routes</c>, <c>iss</c> <c>edge</c>, <c>aud</c> <c>edge.v1</c>.
/// </summary>
internal static class DeviceToken
{
    public static string Mint(byte[] key, string deviceId, string driverId, IReadOnlyList<string> routes, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = deviceId,
            ["driver"] = driverId,
            ["routes"] = routes,
            ["iss"] = "edge",
            ["aud"] = "edge.v1",
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + (long)lifetime.TotalSeconds,
        }));
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

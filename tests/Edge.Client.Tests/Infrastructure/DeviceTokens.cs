using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Edge.Client.Tests.Infrastructure;

/// <summary>Device tokens as the gateway expects them: HS256, sub = device, driver, one routes claim per route.</summary>
public static class DeviceTokens
{
    public static string Mint(string deviceId, params string[] routes)
    {
        var claims = new List<Claim> { new("sub", deviceId), new("driver", "driver-1") };
        claims.AddRange((routes.Length == 0 ? ["R-0001"] : routes).Select(r => new Claim("routes", r)));
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "edge",
            Audience = "edge.v1",
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(GatewayProcess.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>A token provider for <see cref="EdgeClientOptions.TokenProvider"/>.</summary>
    public static Func<CancellationToken, ValueTask<string>> Provider(string deviceId)
    {
        var token = Mint(deviceId);
        return _ => ValueTask.FromResult(token);
    }
}

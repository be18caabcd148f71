using Microsoft.IdentityModel.JsonWebTokens;

namespace Edge.Gateway.Security;

/// <summary>
/// What a device token must be beyond a valid signature, issuer, audience and expiry: named by a <c>jti</c>, issued
/// (<c>iat</c>) no later than now, valid for at most <see cref="DeviceTokenOptions.MaxLifetime"/>, and neither it nor
/// its device revoked. Run on every call (a lookup, no I/O).
/// </summary>
internal static class DeviceTokenChecks
{
    /// <summary>Longest <c>jti</c> accepted.</summary>
    public const int MaxTokenIdLength = 128;

    /// <summary>Why the token is refused (for the authentication log), or null when it passes.</summary>
    public static string? Refusal(JsonWebToken token, DeviceTokenOptions options, DateTimeOffset now, RevocationList revocations)
    {
        var tokenId = token.Id;
        if (string.IsNullOrEmpty(tokenId) || tokenId.Length > MaxTokenIdLength)
        {
            return $"The token has no jti of 1 to {MaxTokenIdLength} characters.";
        }

        if (token.IssuedAt == DateTime.MinValue)
        {
            return "The token has no iat.";
        }

        var issuedAt = new DateTimeOffset(DateTime.SpecifyKind(token.IssuedAt, DateTimeKind.Utc));
        var expires = new DateTimeOffset(DateTime.SpecifyKind(token.ValidTo, DateTimeKind.Utc));
        if (issuedAt > now + options.ClockSkew)
        {
            return "The token is issued in the future.";
        }

        if (expires - issuedAt > options.MaxLifetime)
        {
            return $"The token is valid for longer than {options.MaxLifetime} (Edge:Auth:MaxLifetime).";
        }

        return revocations.IsRevoked(tokenId, token.Subject ?? string.Empty, issuedAt) ? "The token or its device is revoked." : null;
    }
}

using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Edge.Gateway.Security;

/// <summary>
/// Validates device tokens like <see cref="JsonWebTokenHandler"/>, remembering each valid token until it expires
/// (at most <see cref="MaxAge"/>), so a handheld that makes thousands of calls with one token pays for parsing and
/// the signature check once. Invalid tokens are never remembered. Bounded to <see cref="Capacity"/> tokens.
/// </summary>
internal sealed class CachingTokenHandler : JsonWebTokenHandler, IDisposable
{
    /// <summary>Most tokens remembered at once.</summary>
    public const int Capacity = 50_000;

    /// <summary>Longest time a validation result is reused.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (_validated.TryGetValue(token, out TokenValidationResult? known) && known is not null)
        {
            return known;
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is { } securityToken)
        {
            var expires = new DateTimeOffset(DateTime.SpecifyKind(securityToken.ValidTo, DateTimeKind.Utc));
            var until = DateTimeOffset.UtcNow + MaxAge;
            _validated.Set(token, result, new MemoryCacheEntryOptions { AbsoluteExpiration = expires < until ? expires : until, Size = 1 });
        }

        return result;
    }

    public void Dispose() => _validated.Dispose();
}

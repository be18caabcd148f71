using Edge.Gateway.Security;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Edge.Gateway.Tests.Security;

public sealed class CachingTokenHandlerTests
{
    private static TokenValidationParameters Parameters()
    {
        var key = DeviceTokens.ResolveKey(new DeviceTokenOptions { SigningKey = TestTokens.SigningKey }, Path.GetTempPath(), out _);
        return new TokenValidationParameters { ValidIssuer = "edge", ValidAudience = "edge.v1", IssuerSigningKey = key, ClockSkew = TimeSpan.Zero };
    }

    [Fact]
    public async Task ValidToken_IsCheckedOnceAndThenRemembered()
    {
        using var handler = new CachingTokenHandler();
        var token = TestTokens.Mint("device-c");

        var first = await handler.ValidateTokenAsync(token, Parameters());
        var second = await handler.ValidateTokenAsync(token, Parameters());

        Assert.True(first.IsValid);
        Assert.Same(first, second);
    }

    [Fact]
    public async Task InvalidOrExpiredTokens_AreNeverRemembered()
    {
        using var handler = new CachingTokenHandler();
        var expired = TestTokens.Mint("device-c", lifetime: TimeSpan.FromMinutes(-1));
        var foreign = TestTokens.Mint("device-c", signingKey: Convert.ToBase64String(new byte[32]));

        var expiredResults = new[] { await handler.ValidateTokenAsync(expired, Parameters()), await handler.ValidateTokenAsync(expired, Parameters()) };
        var foreignResults = new[] { await handler.ValidateTokenAsync(foreign, Parameters()), await handler.ValidateTokenAsync(foreign, Parameters()) };

        Assert.All(expiredResults.Concat(foreignResults), r => Assert.False(r.IsValid));
        Assert.NotSame(expiredResults[0], expiredResults[1]);
        Assert.NotSame(foreignResults[0], foreignResults[1]);
    }
}

using Edge.Gateway.Tests.Infrastructure;
using Grpc.Core;
using static Edge.Gateway.Tests.Security.TokenChecks;

namespace Edge.Gateway.Tests.Security;

/// <summary>A device token is short-lived, named by a jti, and signed with a key the gateway names by kid.</summary>
public sealed class TokenLifetimeTests : IAsyncLifetime
{
    private static readonly string NextKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private GatewayHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Token_ValidForTenYears_IsUnauthenticated()
        => Assert.Equal(StatusCode.Unauthenticated, await CallAsync(_host.Address, TestTokens.Mint("device-1", lifetime: TimeSpan.FromDays(3650))));

    [Fact]
    public async Task Token_ValidForJustOverTheMaximum_IsUnauthenticated_AndOneWithinItIsAccepted()
    {
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(_host.Address, TestTokens.Mint("device-1", lifetime: TimeSpan.FromHours(24) + TimeSpan.FromMinutes(2))));
        Assert.Equal(StatusCode.OK, await CallAsync(_host.Address, TestTokens.Mint("device-1", lifetime: TimeSpan.FromHours(24))));
    }

    [Fact]
    public async Task Token_WithoutJti_IsUnauthenticated()
        => Assert.Equal(StatusCode.Unauthenticated, await CallAsync(_host.Address, TestTokens.Mint("device-1", tokenId: "")));

    [Fact]
    public async Task Token_WithAJtiOfAKilobyte_IsUnauthenticated()
        => Assert.Equal(StatusCode.Unauthenticated, await CallAsync(_host.Address, TestTokens.Mint("device-1", tokenId: new string('j', 1024))));

    [Fact]
    public async Task Token_WithoutKid_OrNamingAnUnknownKey_IsUnauthenticated()
    {
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(_host.Address, TestTokens.Mint("device-1", keyId: "")));
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(_host.Address, TestTokens.Mint("device-1", keyId: "00000000deadbeef")));
    }

    [Fact]
    public async Task KeyRotation_TokensOfTheOldAndTheNewKeyAreBothAccepted_AnotherKeyIsNot()
    {
        await using var rotating = await GatewayHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Edge:Auth:SigningKey"] = NextKey,
            ["Edge:Auth:AdditionalSigningKeys:0"] = TestTokens.SigningKey,
        });

        Assert.Equal(StatusCode.OK, await CallAsync(rotating.Address, TestTokens.Mint("device-1")));
        Assert.Equal(StatusCode.OK, await CallAsync(rotating.Address, TestTokens.Mint("device-1", signingKey: NextKey)));
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(rotating.Address, TestTokens.Mint("device-1", signingKey: Convert.ToBase64String(new byte[32]))));
        // A token naming the old key's kid but signed with the new key is a forgery of neither.
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(rotating.Address, TestTokens.Mint("device-1", signingKey: NextKey, keyId: TestTokens.KeyId(TestTokens.SigningKey))));
    }

    [Fact]
    public async Task KeyRotation_Finished_TheOldKeysTokensAreRefused()
        => Assert.Equal(StatusCode.Unauthenticated, await CallAsync(_host.Address, TestTokens.Mint("device-1", signingKey: NextKey)));

    [Fact]
    public async Task MintTokenCommand_RefusesALifetimeAboveTheMaximum()
    {
        var (exitCode, output, errors) = await RunGatewayCommandAsync("mint-token", "--device", "device-cli", "--ttl", "2.00:00:00",
            "--Edge:Auth:SigningKey", TestTokens.SigningKey);

        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        Assert.Contains("MaxLifetime", errors, StringComparison.Ordinal);
    }
}

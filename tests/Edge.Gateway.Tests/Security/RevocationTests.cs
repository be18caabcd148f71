using Edge.Gateway.Tests.Infrastructure;
using Grpc.Core;
using static Edge.Gateway.Tests.Security.TokenChecks;

namespace Edge.Gateway.Tests.Security;

/// <summary>
/// <c>revoke-token</c> and <c>revoke-device</c>, run as an operator runs them beside the gateway (same data directory,
/// or same Redis), refuse the token or the device everywhere; nothing else is refused.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RevocationTests(RedisServer redis)
{
    private static readonly Dictionary<string, string?> FastRefresh = new() { ["Edge:Auth:RevocationRefresh"] = "00:00:00.100" };

    [Fact]
    public async Task RevokeToken_Embedded_RefusesThatTokenOnly()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastRefresh);
        var revoked = TestTokens.Mint("device-1");
        var sibling = TestTokens.Mint("device-1");
        Assert.Equal(StatusCode.OK, await CallAsync(host.Address, revoked));

        var (exitCode, output, _) = await RunGatewayCommandAsync("revoke-token", "--jti", TestTokens.TokenId(revoked), "--Edge:DataDirectory", host.DataDirectory);

        Assert.Equal(0, exitCode);
        Assert.Contains("revoked token", output, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, await CallUntilAsync(host.Address, revoked, StatusCode.Unauthenticated));
        Assert.Equal(StatusCode.OK, await CallAsync(host.Address, sibling));
    }

    [Fact]
    public async Task RevokeDevice_Embedded_RefusesItsTokens_NotOtherDevices_NorItsNextToken()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastRefresh);
        var first = TestTokens.Mint("device-lost");
        var second = TestTokens.Mint("device-lost");
        var other = TestTokens.Mint("device-2");

        var (exitCode, _, _) = await RunGatewayCommandAsync("revoke-device", "--device", "device-lost", "--Edge:DataDirectory", host.DataDirectory);
        var revokedAt = DateTimeOffset.UtcNow;

        Assert.Equal(0, exitCode);
        Assert.Equal(StatusCode.Unauthenticated, await CallUntilAsync(host.Address, first, StatusCode.Unauthenticated));
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(host.Address, second));
        Assert.Equal(StatusCode.OK, await CallAsync(host.Address, other));

        // A token issued after the revocation (iat is whole seconds) is the re-enrolled device's, and is accepted.
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() <= revokedAt.ToUnixTimeSeconds())
        {
            await Task.Delay(50);
        }

        Assert.Equal(StatusCode.OK, await CallAsync(host.Address, TestTokens.Mint("device-lost")));
    }

    [Fact]
    public async Task Revocations_Redis_HoldOnEveryReplica_AndSurviveARestart()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var settings = new Dictionary<string, string?>(FastRefresh) { ["Edge:RedisKeyPrefix"] = prefix };
        var token = TestTokens.Mint("device-r");
        var deviceToken = TestTokens.Mint("device-stolen");
        await using (var a = await GatewayHost.StartAsync(redis: redis.ConnectionString, settings: settings))
        await using (var b = await GatewayHost.StartAsync(redis: redis.ConnectionString, settings: settings))
        {
            Assert.Equal(StatusCode.OK, await CallAsync(b.Address, token));

            var revokeToken = await RunGatewayCommandAsync("revoke-token", "--jti", TestTokens.TokenId(token), "--Edge:Redis", redis.ConnectionString, "--Edge:RedisKeyPrefix", prefix);
            var revokeDevice = await RunGatewayCommandAsync("revoke-device", "--device", "device-stolen", "--Edge:Redis", redis.ConnectionString, "--Edge:RedisKeyPrefix", prefix);

            Assert.Equal((0, 0), (revokeToken.ExitCode, revokeDevice.ExitCode));
            foreach (var replica in new[] { a, b })
            {
                Assert.Equal(StatusCode.Unauthenticated, await CallUntilAsync(replica.Address, token, StatusCode.Unauthenticated));
                Assert.Equal(StatusCode.Unauthenticated, await CallUntilAsync(replica.Address, deviceToken, StatusCode.Unauthenticated));
                Assert.Equal(StatusCode.OK, await CallAsync(replica.Address, TestTokens.Mint("device-r")));
            }
        }

        // A replica started later reads them before it listens.
        await using var late = await GatewayHost.StartAsync(redis: redis.ConnectionString, settings: settings);
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(late.Address, token));
        Assert.Equal(StatusCode.Unauthenticated, await CallAsync(late.Address, deviceToken));
    }

    [Fact]
    public async Task RevokeCommand_WithoutAnId_PrintsUsage()
    {
        var (exitCode, _, errors) = await RunGatewayCommandAsync("revoke-token", "--Edge:DataDirectory", Directory.CreateTempSubdirectory("edge-gw-").FullName);

        Assert.Equal(2, exitCode);
        Assert.Contains("usage", errors, StringComparison.Ordinal);
    }
}

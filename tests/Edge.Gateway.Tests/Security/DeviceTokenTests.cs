using System.Diagnostics;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Grpc.Health.V1;

namespace Edge.Gateway.Tests.Security;

public sealed class DeviceTokenTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<StatusCode> QueryWithToken(string? token)
    {
        using var channel = TestChannels.Create(_host.Address, token);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new V1.Uploads.UploadsClient(channel).FindMissingBlobsAsync(new FindMissingBlobsRequest()).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(10)));
        return error.StatusCode;
    }

    [Fact]
    public async Task Call_WithoutToken_IsUnauthenticated()
        => Assert.Equal(StatusCode.Unauthenticated, await QueryWithToken(null));

    [Fact]
    public async Task Call_WithTokenSignedByAnotherKey_IsUnauthenticated()
        => Assert.Equal(StatusCode.Unauthenticated, await QueryWithToken(TestTokens.Mint("device-1", signingKey: Convert.ToBase64String(new byte[32]))));

    [Fact]
    public async Task Call_WithExpiredToken_IsUnauthenticated()
        => Assert.Equal(StatusCode.Unauthenticated, await QueryWithToken(TestTokens.Mint("device-1", lifetime: TimeSpan.FromMinutes(-5))));

    [Fact]
    public async Task Call_WithGarbageToken_IsUnauthenticated()
        => Assert.Equal(StatusCode.Unauthenticated, await QueryWithToken("not-a-jwt"));

    [Fact]
    public async Task Call_WithValidToken_Succeeds()
    {
        using var channel = TestChannels.Create(_host.Address, TestTokens.Mint("device-1"));
        var response = await new V1.Uploads.UploadsClient(channel).FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { new string('a', 64) } });
        Assert.Equal([new string('a', 64)], response.MissingSha256);
    }

    [Fact]
    public async Task Health_WithoutToken_IsServing()
    {
        using var channel = TestChannels.Create(_host.Address, null);
        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_WithoutToken_ListsTheUploadsService()
    {
        using var channel = TestChannels.Create(_host.Address, null);
        using var call = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext());
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("edge.v1.Uploads", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task MintTokenCommand_MakesATokenTheGatewayAccepts()
    {
        var info = new ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Edge.Gateway.dll"), "mint-token", "--device", "device-cli", "--routes", "R-1,R-2",
             "--Edge:Auth:SigningKey", TestTokens.SigningKey])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var token = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        using var channel = TestChannels.Create(_host.Address, token);
        var response = await new V1.Uploads.UploadsClient(channel).FindMissingBlobsAsync(new FindMissingBlobsRequest());
        Assert.Empty(response.MissingSha256);
    }
}

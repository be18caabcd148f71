using System.Net;
using System.Net.Sockets;
using Edge.Client.Tests.Infrastructure;

namespace Edge.Client.Tests.Connection;

/// <summary>The SDK never sends a device token over cleartext http:// unless the app asks for it in so many words.</summary>
public sealed class CleartextTokenTests
{
    [Fact]
    public async Task Client_ForAnHttpGateway_WithoutTheOption_IsRefusedBeforeAnyConnection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var options = TestClients.Options(address);
        options.AllowTokenOverCleartext = false;

        var error = Assert.Throws<ArgumentException>(() => new EdgeClient(options));

        Assert.Equal("GatewayAddress", error.ParamName);
        Assert.Contains("AllowTokenOverCleartext", error.Message, StringComparison.Ordinal);
        await Task.Yield();
        Assert.False(listener.Pending());
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("ws://127.0.0.1:80")]
    public void Client_ForAnotherScheme_IsRefused_EvenWithTheOption(string address)
    {
        var options = TestClients.Options(new Uri(address));
        options.AllowTokenOverCleartext = true;

        Assert.Equal("GatewayAddress", Assert.Throws<ArgumentException>(() => new EdgeClient(options)).ParamName);
    }

    [Fact]
    public async Task Client_ForAnHttpsGateway_NeedsNoOption()
    {
        var options = TestClients.Options(new Uri("https://127.0.0.1:1"));

        await using var client = new EdgeClient(options);

        Assert.False(options.AllowTokenOverCleartext);
    }
}

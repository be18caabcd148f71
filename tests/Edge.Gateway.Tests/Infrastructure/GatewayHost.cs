using Edge.Gateway.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Compression;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway in this process, on Kestrel with real HTTP/2 on a loopback port chosen by the OS. Configure it with
/// settings (as in appsettings) and, where a test must steer it, service overrides such as a fake clock.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<GrpcChannel> _channels = [];

    private GatewayHost(WebApplication app, string dataDirectory, Uri address)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Address = address;
    }

    public Uri Address { get; }

    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<GatewayHost> StartAsync(
        string? dataDirectory = null,
        string? redis = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? redisKeyPrefix = null,
        string environment = "Development")
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("edge-gw-").FullName;
        // Development by default: cleartext on loopback needs no further setting there (see TransportSecurity).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        var config = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Edge:DataDirectory"] = dataDirectory,
            ["Edge:Auth:SigningKey"] = TestTokens.SigningKey,
        };
        if (redis is not null)
        {
            config["Edge:Redis"] = redis;
            config["Edge:RedisKeyPrefix"] = redisKeyPrefix ?? $"t{Guid.NewGuid():N}:";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        services?.Invoke(builder.Services);
        builder.AddEdgeGateway();
        var app = builder.Build();
        app.MapEdgeGateway();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayHost(app, dataDirectory, new Uri(address));
    }

    /// <summary>A channel to this host that sends the given device's token (none when null).</summary>
    public GrpcChannel Channel(string? deviceId = "device-1", string[]? routes = null, IList<ICompressionProvider>? compression = null)
    {
        var channel = TestChannels.Create(Address, deviceId is null ? null : TestTokens.Mint(deviceId, routes), compression);
        _channels.Add(channel);
        return channel;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class TestChannels
{
    /// <param name="compression">The message encodings the client offers; null for Grpc.Net.Client's default (gzip).</param>
    public static GrpcChannel Create(Uri address, string? token, IList<ICompressionProvider>? compression = null)
    {
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            if (token is not null)
            {
                metadata.Add("authorization", "Bearer " + token);
            }

            return Task.CompletedTask;
        });
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            CompressionProviders = compression,
        });
    }
}

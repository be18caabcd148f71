using System.Net;
using Core.V1;
using Edge.CoreSim;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Tests;

/// <summary>
/// The simulator on real Kestrel, HTTP/2 over loopback on a free port, with clients for every service.
/// Its data directory outlives it, so a second host on the same directory is a restart.
/// </summary>
internal sealed class CoreSimHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private CoreSimHost(WebApplication app, GrpcChannel channel)
    {
        _app = app;
        _channel = channel;
        Blobs = new Core.V1.Blobs.BlobsClient(channel);
        Proofs = new Core.V1.Proofs.ProofsClient(channel);
        Scans = new Core.V1.Scans.ScansClient(channel);
        Manifests = new Core.V1.Manifests.ManifestsClient(channel);
        Admin = new Core.V1.Admin.AdminClient(channel);
    }

    public Core.V1.Blobs.BlobsClient Blobs { get; }

    public Core.V1.Proofs.ProofsClient Proofs { get; }

    public Core.V1.Scans.ScansClient Scans { get; }

    public Core.V1.Manifests.ManifestsClient Manifests { get; }

    public Core.V1.Admin.AdminClient Admin { get; }

    public static async Task<CoreSimHost> StartAsync(
        string dataDirectory,
        Action<CoreSimulatorOptions>? configure = null,
        IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddCoreSimulator(options =>
        {
            options.DataDirectory = dataDirectory;
            options.StopsPerRoute = 20;
            configure?.Invoke(options);
        });

        var app = builder.Build();
        app.MapCoreSimulator();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new CoreSimHost(app, GrpcChannel.ForAddress(address));
    }

    public async ValueTask DisposeAsync()
    {
        // The server first, so open streams see the server end them rather than the client.
        await _app.StopAsync();
        await _app.DisposeAsync();
        _channel.Dispose();
    }
}

using Edge.CoreSim;
using Edge.Gateway.Hosting;
using Edge.Gateway.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Core;

/// <summary>
/// The core simulator, hosted by the gateway's process on its own loopback port when no core address is configured,
/// so that the zero-setup gateway is a whole system and forwards through the real gRPC path. Its state lives in
/// <c>&lt;data&gt;/core</c>.
/// </summary>
internal sealed class EmbeddedCoreSimulator(IOptions<CoreOptions> options, IOptions<EdgeOptions> edge, CoreCredentials credentials, ILoggerFactory loggerFactory)
    : IHostedService, IAsyncDisposable
{
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;

    /// <summary>The simulator's address, once it has started.</summary>
    public Task<Uri> Address => _address.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetFullPath(edge.Value.DataDirectory), "core");
        PrivateFiles.CreateDirectory(directory);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Services.AddSingleton(loggerFactory);

        // The gateway's host owns the process's signals: a second console lifetime would hold SIGTERM until this
        // inner host is disposed, which only happens after the gateway has stopped.
        builder.Services.AddSingleton<IHostLifetime, InnerHostLifetime>();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CoreSim:DataDirectory"] = directory,
            // Checked on every call, as a real core would: a local process cannot call it without the token.
            ["CoreSim:AccessToken"] = credentials.AccessToken,
        });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, options.Value.EmbeddedPort,
            listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddCoreSimulator();
        _app = builder.Build();
        _app.MapCoreSimulator();
        await _app.StartAsync(cancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _address.TrySetResult(new Uri(address));
        CoreLog.EmbeddedSimulatorStarted(loggerFactory.CreateLogger<EmbeddedCoreSimulator>(), address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private sealed class InnerHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

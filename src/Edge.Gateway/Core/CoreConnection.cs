using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Core;

/// <summary>
/// The one gRPC channel to the core (configured address, or the in-process simulator). Create the <c>core.v1</c>
/// clients from <see cref="GetChannelAsync"/>; the channel multiplexes all calls over HTTP/2.
/// </summary>
internal sealed class CoreConnection(IOptions<CoreOptions> options, CoreCredentials credentials, IServiceProvider services) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private GrpcChannel? _channel;

    /// <summary>Deadline for one call to the core.</summary>
    public TimeSpan CallTimeout => options.Value.CallTimeout;

    /// <summary>The core endpoint this gateway forwards to, as its breakers and metrics name it.</summary>
    public string Endpoint => options.Value.UsesEmbeddedSimulator ? "embedded" : options.Value.Address!;

    public async ValueTask<GrpcChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { } channel)
        {
            return channel;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_channel is null)
            {
                var address = options.Value.UsesEmbeddedSimulator
                    ? await services.GetRequiredService<EmbeddedCoreSimulator>().Address.WaitAsync(cancellationToken)
                    : new Uri(options.Value.Address!);
                _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
                {
                    HttpHandler = credentials.Authenticate(new SocketsHttpHandler
                    {
                        EnableMultipleHttp2Connections = true,
                        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    }),
                    MaxReceiveMessageSize = 16 * 1024 * 1024,

                    // The default backoff grows to two minutes: after a long outage the channel would only try the
                    // core again many seconds after it came back.
                    InitialReconnectBackoff = options.Value.ReconnectBackoff,
                    MaxReconnectBackoff = options.Value.ReconnectBackoff,
                });
            }

            return _channel;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _channel?.Dispose();
        _gate.Dispose();
    }
}

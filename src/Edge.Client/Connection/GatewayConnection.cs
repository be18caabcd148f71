using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.Client.Connection;

/// <summary>
/// The one HTTP/2 channel to the gateway, tuned for cellular links, and the way to throw it away when the device's
/// network changes: a connection that went half-open on the old network would otherwise hold calls until the
/// keep-alive ping gives up on it.
/// </summary>
internal sealed class GatewayConnection : IDisposable
{
    private readonly EdgeClientOptions _options;
    private readonly Lock _gate = new();
    private readonly AsyncSignal _networkChanged = new();
    private readonly Dialer _dialer;
    private GrpcChannel _channel;
    private bool _disposed;

    public GatewayConnection(EdgeClientOptions options)
    {
        _options = options;
        Pacing = new ReconnectPacing(options.TimeProvider);
        _dialer = new Dialer(Pacing, options.TimeProvider);
        _channel = CreateChannel();
    }

    /// <summary>How soon calls on this connection retry: quickly right after a cut, with backoff otherwise.</summary>
    public ReconnectPacing Pacing { get; }

    /// <summary>The current channel. Take it per attempt: after a network change it is a new one.</summary>
    public GrpcChannel Channel
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _channel;
            }
        }
    }

    /// <summary>Drops the current connection and the calls on it, and wakes everything waiting to retry.</summary>
    public void Reset()
    {
        GrpcChannel old;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            old = _channel;
            _channel = CreateChannel();
        }

        // Disposing the channel cancels its active calls and closes its connections at once.
        old.Dispose();
        _networkChanged.Set();
    }

    /// <summary>Waits <paramref name="delay"/>, or less when the network changes in the meantime.</summary>
    public async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var changed = _networkChanged.WaitAsync();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, _options.TimeProvider, cancel.Token);
        await Task.WhenAny(timer, changed).ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Completes when the network changes next.</summary>
    public Task NetworkChanged => _networkChanged.WaitAsync();

    public void Dispose()
    {
        GrpcChannel channel;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            channel = _channel;
        }

        channel.Dispose();
        _networkChanged.Set();
    }

    private GrpcChannel CreateChannel()
    {
        var handler = new SocketsHttpHandler
        {
            // Probe idle and busy connections alike: a cellular link dies without a FIN, and only a PING finds out.
            KeepAlivePingDelay = _options.KeepAlivePingDelay,
            KeepAlivePingTimeout = _options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = _options.ConnectTimeout,
            ConnectCallback = _dialer.ConnectAsync,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        var tokens = _options.TokenProvider!;
        var credentials = CallCredentials.FromInterceptor(async (context, metadata) =>
        {
            var token = await tokens(context.CancellationToken).ConfigureAwait(false);
            metadata.Add("authorization", "Bearer " + token);
        });
        var address = _options.GatewayAddress!;
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            Credentials = address.Scheme == Uri.UriSchemeHttps
                ? ChannelCredentials.Create(ChannelCredentials.SecureSsl, credentials)
                : ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = address.Scheme != Uri.UriSchemeHttps,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
    }
}

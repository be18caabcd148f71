using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Core;

/// <summary>
/// The one gRPC channel to the core (configured address, or the in-process simulator). Create the <c>core.v1</c>
/// clients from <see cref="GetChannelAsync"/> for each call; the channel multiplexes all calls over HTTP/2.
/// </summary>
/// <remarks>
/// The channel reconnects by itself within <see cref="CoreOptions.ReconnectBackoff"/> while the core is away, except
/// after a failure outside its connect loop (Grpc.Net.Client creates the socket outside it: when the process is out of
/// file descriptors, EMFILE ends the loop in TransientFailure and nothing starts it again). A channel that stays in
/// TransientFailure well beyond its backoff is therefore replaced by a new one.
/// </remarks>
internal sealed class CoreConnection(IOptions<CoreOptions> options, CoreCredentials credentials, IServiceProvider services, ILogger<CoreConnection> logger)
    : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private GrpcChannel? _channel;
    private Uri? _address;

    /// <summary>Deadline for one call to the core.</summary>
    public TimeSpan CallTimeout => options.Value.CallTimeout;

    /// <summary>The core endpoint this gateway forwards to, as its breakers and metrics name it.</summary>
    public string Endpoint => options.Value.UsesEmbeddedSimulator ? "embedded" : options.Value.Address!;

    /// <summary>How long the channel may stay in TransientFailure before it counts as stuck: four backoffs, at least 5 s.</summary>
    internal TimeSpan StuckAfter => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, options.Value.ReconnectBackoff.Ticks * 4));

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
                _address = options.Value.UsesEmbeddedSimulator
                    ? await services.GetRequiredService<EmbeddedCoreSimulator>().Address.WaitAsync(cancellationToken)
                    : new Uri(options.Value.Address!);
                _channel = Open(_address);
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
        _disposed.Cancel();
        _channel?.Dispose();
        _gate.Dispose();
        _disposed.Dispose();
    }

    private GrpcChannel Open(Uri address)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
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
        _ = Task.Run(() => WatchAsync(channel));
        return channel;
    }

    /// <summary>Follows the channel's state; replaces it when it stays in TransientFailure longer than <see cref="StuckAfter"/>.</summary>
    private async Task WatchAsync(GrpcChannel channel)
    {
        var state = channel.State;
        while (state != ConnectivityState.Shutdown && !_disposed.IsCancellationRequested)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            if (state == ConnectivityState.TransientFailure)
            {
                wait.CancelAfter(StuckAfter);
            }

            try
            {
                await channel.WaitForStateChangedAsync(state, wait.Token);
            }
            catch (OperationCanceledException) when (!_disposed.IsCancellationRequested)
            {
                await ReplaceAsync(channel);
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            state = channel.State;
        }
    }

    private async Task ReplaceAsync(GrpcChannel stuck)
    {
        await _gate.WaitAsync(_disposed.Token);
        try
        {
            if (!ReferenceEquals(_channel, stuck) || _address is null)
            {
                return;
            }

            CoreLog.ChannelReplaced(logger, stuck.State.ToString(), StuckAfter);
            _channel = Open(_address);
        }
        finally
        {
            _gate.Release();
        }

        // Calls that took the old channel just now end on it (it fails them at once anyway) before it is disposed.
        await Task.Delay(CallTimeout, _disposed.Token).ContinueWith(_ => stuck.Dispose(), TaskScheduler.Default);
    }
}

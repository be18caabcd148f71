using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Hosting;

/// <summary>
/// Kestrel's socket transport for TCP endpoints, with one change: when accepting fails because the process (or the
/// system) is out of file descriptors or socket buffers, the accept loop waits before trying again (5 ms, doubling to
/// 1 s, as Go's HTTP server does) instead of retrying at once. Kestrel's own listener retries any accept error
/// immediately, so while descriptors are out, with a client waiting in the backlog, it spins a core that the rest of
/// the gateway needs to recover. Connections are made by Kestrel's <see cref="SocketConnectionContextFactory"/>,
/// with the transport's settings; other endpoint kinds (Unix sockets, handles) stay with Kestrel's transport.
/// </summary>
internal sealed class BackoffSocketTransport(IOptions<SocketTransportOptions> options, ILoggerFactory loggerFactory)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>The first wait after a failed accept.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest wait between two accepts that failed.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var transport = options.Value;
        Socket socket;
        try
        {
            socket = transport.CreateBoundListenSocket(endpoint);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(e.Message, e);
        }

        socket.Listen(transport.Backlog);
        var factory = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions
        {
            IOQueueCount = transport.IOQueueCount,
            WaitForDataBeforeAllocatingBuffer = transport.WaitForDataBeforeAllocatingBuffer,
            MaxReadBufferSize = transport.MaxReadBufferSize,
            MaxWriteBufferSize = transport.MaxWriteBufferSize,
            UnsafePreferInlineScheduling = transport.UnsafePreferInlineScheduling,
        }, loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, factory, transport.NoDelay, loggerFactory.CreateLogger<BackoffSocketTransport>()));
    }

    /// <summary>True for accept errors that mean a resource is exhausted, not that one connection failed.</summary>
    internal static bool IsExhaustion(SocketException e)
        => e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable;

    private sealed class Listener(Socket socket, SocketConnectionContextFactory factory, bool noDelay, ILogger logger) : IConnectionListener
    {
        private readonly CancellationTokenSource _unbound = new();
        private bool _disposed;

        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            var delay = FirstDelay;
            var failures = 0;
            SocketError? failure = null;
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken);
                    if (failure is { } error)
                    {
                        HostingLog.AcceptRecovered(logger, EndPoint.ToString() ?? "", failures, error.ToString());
                    }

                    accepted.NoDelay = noDelay;
                    return factory.Create(accepted);
                }
                catch (ObjectDisposedException)
                {
                    return null;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
                {
                    return null;
                }
                catch (SocketException e) when (IsExhaustion(e))
                {
                    if (failures++ == 0)
                    {
                        failure = e.SocketErrorCode;
                        HostingLog.AcceptExhausted(logger, EndPoint.ToString() ?? "", e.Message, MaxDelay);
                    }

                    try
                    {
                        await Task.Delay(delay, _unbound.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return null;
                    }

                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
                }
                catch (SocketException)
                {
                    // The connection was reset while it waited in the backlog: take the next one.
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            if (!_disposed)
            {
                _unbound.Cancel();
            }

            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            _unbound.Cancel();
            socket.Dispose();
            factory.Dispose();
            _unbound.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace Edge.Client.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on a loopback port in front of a server, that misbehaves like a cellular link: it cuts every connection
/// each time a set number of bytes went upstream, freezes connections (half-open: nothing forwarded, nothing closed),
/// throttles, or refuses service altogether. It counts the bytes it forwarded each way.
/// </summary>
public sealed class FaultyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<Link> _links = [];
    private readonly Task _accepting;
    private long _upstreamBytes;
    private long _downstreamBytes;
    private long _nextCut = long.MaxValue;
    private long? _cutEveryBytes;
    private int _cuts;
    private int _connections;

    public FaultyProxy(Uri upstream)
    {
        _upstream = new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port);
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>Bytes forwarded from clients to the server, over all connections.</summary>
    public long UpstreamBytes => Interlocked.Read(ref _upstreamBytes);

    /// <summary>Bytes forwarded from the server to clients, over all connections.</summary>
    public long DownstreamBytes => Interlocked.Read(ref _downstreamBytes);

    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>Connections accepted (and forwarded) so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Cut every connection each time this many more bytes went upstream. Null: never.</summary>
    public long? CutEveryBytes
    {
        get => _cutEveryBytes;
        set
        {
            lock (_gate)
            {
                _cutEveryBytes = value;
                _nextCut = value is { } every ? UpstreamBytes + every : long.MaxValue;
            }
        }
    }

    /// <summary>Upstream bandwidth in bytes per second. Null: unthrottled.</summary>
    public int? BytesPerSecond { get; set; }

    /// <summary>When true, new connections are closed as soon as they are accepted: no service.</summary>
    public bool Refusing { get; set; }

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _upstreamBytes, 0);
        Interlocked.Exchange(ref _downstreamBytes, 0);
        Volatile.Write(ref _cuts, 0);
        Volatile.Write(ref _connections, 0);
        CutEveryBytes = _cutEveryBytes;
    }

    /// <summary>Every open connection goes half-open: nothing more is forwarded either way, and nothing is closed.</summary>
    public void FreezeAll()
    {
        lock (_gate)
        {
            foreach (var link in _links)
            {
                link.Frozen = true;
            }
        }
    }

    /// <summary>Closes every open connection, delivering to the server what was already forwarded.</summary>
    public void CutAll()
    {
        List<Link> links;
        lock (_gate)
        {
            links = [.. _links];
            _links.Clear();
        }

        foreach (var link in links)
        {
            link.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        CutAll();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stopping.Token);
            if (Refusing)
            {
                client.Close(0);
                continue;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await server.ConnectAsync(_upstream, _stopping.Token);
            }
            catch (SocketException)
            {
                client.Close(0);
                server.Dispose();
                continue;
            }

            client.NoDelay = true;
            var link = new Link(client, server);
            lock (_gate)
            {
                _links.Add(link);
            }

            Interlocked.Increment(ref _connections);
            _ = PumpAsync(link, client, server, upstream: true);
            _ = PumpAsync(link, server, client, upstream: false);
        }
    }

    private async Task PumpAsync(Link link, Socket from, Socket to, bool upstream)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (link.Frozen)
                {
                    // Half-open: the bytes vanish, even a close is not passed on, the other side stays up.
                    await Task.Delay(Timeout.Infinite, _stopping.Token);
                }

                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var send = read;
                var cut = false;
                if (upstream)
                {
                    if (BytesPerSecond is { } rate)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)read / rate), _stopping.Token);
                    }

                    if (link.IsClosed)
                    {
                        return;
                    }

                    lock (_gate)
                    {
                        var before = Interlocked.Read(ref _upstreamBytes);
                        if (before + read >= _nextCut)
                        {
                            send = (int)(_nextCut - before);
                            _nextCut += _cutEveryBytes!.Value;
                            cut = true;
                        }

                        Interlocked.Add(ref _upstreamBytes, send);
                    }
                }

                try
                {
                    await to.SendAsync(buffer.AsMemory(0, send), SocketFlags.None, _stopping.Token);
                }
                catch (Exception) when (upstream)
                {
                    // Never forwarded: the link was cut while these bytes waited.
                    Interlocked.Add(ref _upstreamBytes, -send);
                    throw;
                }

                if (!upstream)
                {
                    Interlocked.Add(ref _downstreamBytes, send);
                }

                if (cut)
                {
                    Interlocked.Increment(ref _cuts);
                    CutAll();
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            link.Close();
        }
    }

    private sealed class Link(Socket client, Socket server)
    {
        private int _closed;

        public volatile bool Frozen;

        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            // The server gets a FIN after everything already forwarded, as when a link drops after the last packet.
            try
            {
                server.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }

            server.Close();
            client.Close(0);
        }
    }
}

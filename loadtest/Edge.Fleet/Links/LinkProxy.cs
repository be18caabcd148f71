using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Edge.Fleet.Links;

/// <summary>
/// One device's link to the gateway: a TCP proxy on a loopback port that delays, paces and stalls what passes through
/// it and cuts its connections on request. Every byte the device sends is read by an <see cref="UploadWireTap"/>,
/// which counts the upload chunks on the wire (what a cut made the device send again).
/// </summary>
internal sealed class LinkProxy : IAsyncDisposable
{
    /// <summary>Largest piece forwarded at once: 8 KiB is 66 ms at 1 Mbit/s, fine-grained enough for pacing.</summary>
    private const int SegmentBytes = 8 * 1024;

    private readonly IPEndPoint _upstream;
    private readonly LinkProfile _profile;
    private readonly LinkCounters _counters;
    private readonly UploadLedger _ledger;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<Connection> _active = [];
    private readonly List<Socket> _abandoned = [];
    private Task _accepting = Task.CompletedTask;

    public LinkProxy(IPEndPoint upstream, LinkProfile profile, LinkCounters counters, UploadLedger ledger)
    {
        _upstream = upstream;
        _profile = profile;
        _counters = counters;
        _ledger = ledger;
        _listener = new TcpListener(IPAddress.Loopback, 0);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public LinkProfile Profile => _profile;

    public void Start()
    {
        _listener.Start(backlog: 64);
        _accepting = AcceptAsync(_stopping.Token);
    }

    /// <summary>Cuts every connection open now, as <see cref="LinkProfile.CutMode"/> says; new ones pass again.</summary>
    public int Cut(CutMode mode) => Cut(mode, count: true);

    private int Cut(CutMode mode, bool count)
    {
        Connection[] connections;
        lock (_gate)
        {
            connections = [.. _active];
            _active.Clear();
        }

        foreach (var connection in connections)
        {
            connection.Cut(mode, _abandoned, _gate);
        }

        if (count && connections.Length > 0)
        {
            _counters.Cut();
        }

        return connections.Length;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        Cut(CutMode.Reset, count: false);
        lock (_gate)
        {
            foreach (var socket in _abandoned)
            {
                socket.Dispose();
            }

            _abandoned.Clear();
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket device;
            try
            {
                device = await _listener.AcceptSocketAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _counters.Attempted();
            _ = Task.Run(() => ConnectAsync(device, cancellationToken), CancellationToken.None);
        }
    }

    private async Task ConnectAsync(Socket device, CancellationToken cancellationToken)
    {
        var gateway = new Socket(_upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        device.NoDelay = true;
        try
        {
            // Opening a connection costs a round trip on the link.
            if (_profile.Latency > TimeSpan.Zero)
            {
                await Task.Delay(_profile.Latency * 2, cancellationToken);
            }

            await gateway.ConnectAsync(_upstream, cancellationToken);
        }
        catch (Exception)
        {
            Reset(device);
            gateway.Dispose();
            return;
        }

        var connection = new Connection(device, gateway);
        lock (_gate)
        {
            _active.Add(connection);
        }

        _counters.Connected();
        var tap = new UploadWireTap(_ledger);
        var up = PumpAsync(device, gateway, connection, tap, isUp: true);
        var down = PumpAsync(gateway, device, connection, tap: null, isUp: false);
        await Task.WhenAll(up, down);
        lock (_gate)
        {
            _active.Remove(connection);
        }

        connection.Close();
    }

    /// <summary>Copies one direction, through a delay line paced at the link's rate when the link is shaped.</summary>
    private async Task PumpAsync(Socket from, Socket to, Connection connection, UploadWireTap? tap, bool isUp)
    {
        var token = connection.Stop.Token;
        var line = Channel.CreateBounded<Segment>(new BoundedChannelOptions(LineCapacity()) { SingleReader = true, SingleWriter = true });
        var writer = _profile.Shaped ? DeliverAsync(line.Reader, to, isUp, token) : Task.CompletedTask;
        var departure = 0L;
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(SegmentBytes);
                int read;
                try
                {
                    read = await from.ReceiveAsync(buffer.AsMemory(0, SegmentBytes), SocketFlags.None, token);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                tap?.Read(buffer.AsSpan(0, read));
                if (!_profile.Shaped)
                {
                    try
                    {
                        await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    _counters.Forwarded(read, isUp);
                    continue;
                }

                // Serialisation at the link's rate, one segment after another, then the one-way delay.
                var now = Environment.TickCount64 * 1000;
                var serialisation = _profile.BitsPerSecond > 0 ? read * 8_000_000L / _profile.BitsPerSecond : 0;
                departure = Math.Max(now, departure) + serialisation;
                var deliverAt = departure + (long)_profile.Latency.TotalMicroseconds;
                if (_profile.Loss > 0 && Random.Shared.NextDouble() < _profile.Loss)
                {
                    deliverAt += (long)_profile.StallTime.TotalMicroseconds;
                    departure += (long)_profile.StallTime.TotalMicroseconds;
                    _counters.Stalled();
                }

                await line.Writer.WriteAsync(new Segment(buffer, read, deliverAt), token);
            }

            line.Writer.TryComplete();
            await writer;
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            line.Writer.TryComplete();
            // One direction failed: the connection is over, unless a half-open cut froze it on purpose.
            connection.Fail();
            try
            {
                await writer;
            }
            catch (Exception)
            {
            }
        }
        finally
        {
            while (line.Reader.TryRead(out var left))
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
    }

    private async Task DeliverAsync(ChannelReader<Segment> line, Socket to, bool isUp, CancellationToken cancellationToken)
    {
        await foreach (var segment in line.ReadAllAsync(cancellationToken))
        {
            try
            {
                var wait = segment.DeliverAtMicros - (Environment.TickCount64 * 1000);
                if (wait > 1000)
                {
                    await Task.Delay(TimeSpan.FromMicroseconds(wait), cancellationToken);
                }

                await to.SendAsync(segment.Buffer.AsMemory(0, segment.Length), SocketFlags.None, cancellationToken);
                _counters.Forwarded(segment.Length, isUp);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(segment.Buffer);
            }
        }
    }

    /// <summary>Segments in flight on the link: the bandwidth-delay product plus a queue as deep as a cellular buffer.</summary>
    private int LineCapacity()
    {
        if (_profile.BitsPerSecond <= 0)
        {
            return 64;
        }

        var bytes = (_profile.BitsPerSecond / 8.0 * (_profile.Latency.TotalSeconds + 0.3)) + (2 * SegmentBytes);
        return Math.Max(2, (int)Math.Ceiling(bytes / SegmentBytes));
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception)
        {
        }

        socket.Dispose();
    }

    private readonly record struct Segment(byte[] Buffer, int Length, long DeliverAtMicros);

    private sealed class Connection(Socket device, Socket gateway)
    {
        private int _halfOpen;

        public CancellationTokenSource Stop { get; } = new();

        /// <summary>A pump failed: end the connection, both ends.</summary>
        public void Fail()
        {
            if (Volatile.Read(ref _halfOpen) == 0)
            {
                Stop.Cancel();
            }
        }

        public void Cut(CutMode mode, List<Socket> abandoned, Lock gate)
        {
            if (mode == CutMode.HalfOpen)
            {
                // Freeze: stop both pumps and tell neither end. The device finds out the way a phone does (a network
                // change, or its keep-alive ping going unanswered); the gateway's socket stays open until the run ends.
                Volatile.Write(ref _halfOpen, 1);
                lock (gate)
                {
                    abandoned.Add(gateway);
                    abandoned.Add(device);
                }

                Stop.Cancel();
                return;
            }

            Stop.Cancel();
            Reset(device);
            Reset(gateway);
        }

        public void Close()
        {
            Stop.Cancel();
            if (Volatile.Read(ref _halfOpen) == 0)
            {
                Reset(gateway);
                device.Dispose();
            }
        }
    }
}

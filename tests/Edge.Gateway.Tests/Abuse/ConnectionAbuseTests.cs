using System.Net;
using System.Net.Sockets;
using Edge.Gateway.Tests.Infrastructure;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>
/// Clients without a token that open TCP connections and never send a byte: each is closed once the preface deadline
/// passes, one over the connection limit is closed at once, and a device's photo, scans and proof go through meanwhile.
/// The connection limit is reduced to a few dozen, as a descriptor limit would be in production.
/// </summary>
public sealed class ConnectionAbuseTests : AbuseTestBase
{
    protected override string? Redis => null;

    [Fact]
    public async Task IdleConnections_AreClosedAfterThePrefaceDeadline_WhileADeviceGoesThrough()
    {
        var host = await StartAsync(new() { ["Edge:Connections:MaxConnections"] = "40", ["Edge:Connections:PrefaceTimeout"] = "00:00:01" });
        var idle = await OpenAsync(host, 30);

        await VictimGoesThroughAsync(host, "idle");

        var closed = await Task.WhenAll(idle.Select(ClosedByServerAsync));
        Assert.All(closed, Assert.True);
        Dispose(idle);
    }

    [Fact]
    public async Task ConnectionPastTheLimit_IsClosedAtOnce()
    {
        var host = await StartAsync(new() { ["Edge:Connections:MaxConnections"] = "20", ["Edge:Connections:PrefaceTimeout"] = "00:05:00" });
        var idle = await OpenAsync(host, 20);

        // Kestrel counts a connection once it has accepted it: each idle one above is counted when it has taken a byte's
        // worth of time to be served, so wait until one more is refused.
        var over = new List<Socket>();
        var refused = false;
        for (var attempt = 0; attempt < 50 && !refused; attempt++)
        {
            var socket = await ConnectAsync(host);
            over.Add(socket);
            refused = await ClosedByServerAsync(socket, TimeSpan.FromSeconds(2));
        }

        Assert.True(refused);
        Dispose(idle);
        Dispose(over);
    }

    private static async Task<List<Socket>> OpenAsync(GatewayHost host, int count)
    {
        var sockets = new List<Socket>(count);
        for (var i = 0; i < count; i++)
        {
            sockets.Add(await ConnectAsync(host));
        }

        return sockets;
    }

    private static async Task<Socket> ConnectAsync(GatewayHost host)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, host.Address.Port));
        return socket;
    }

    /// <summary>True when the server closes (FIN or reset) within the guard; false when the socket is still open.</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket) => await ClosedByServerAsync(socket, TimeSpan.FromSeconds(30));

    private static async Task<bool> ClosedByServerAsync(Socket socket, TimeSpan guard)
    {
        using var timeout = new CancellationTokenSource(guard);
        try
        {
            return await socket.ReceiveAsync(new byte[64], SocketFlags.None, timeout.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void Dispose(IEnumerable<Socket> sockets)
    {
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
    }
}

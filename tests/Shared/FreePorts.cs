using System.Net;
using System.Net.Sockets;

namespace Edge.Testing;

/// <summary>Loopback ports for processes the tests start (a gateway, its core simulator, redis-server).</summary>
public static class FreePorts
{
    /// <summary>A port nothing listens on now, chosen by the OS. Bind it soon: another process may take it meanwhile.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when something accepts connections on the loopback port.</summary>
    public static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

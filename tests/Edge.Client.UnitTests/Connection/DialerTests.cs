using System.Net;
using System.Net.Sockets;
using Edge.Client.Connection;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Client.UnitTests.Connection;

/// <summary>
/// Connections on loopback: one attempt normally; right after a cut, new attempts on the quick pace (moved by hand)
/// until one gets through.
/// </summary>
public sealed class DialerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Connect_NoCut_OneAttemptAndTheRefusalIsTheAnswer()
    {
        var port = UnusedPort();
        var dialer = new Dialer(new ReconnectPacing(_time), _time);

        await Assert.ThrowsAsync<SocketException>(async () => await dialer.ConnectAsync(Gateway(port), CancellationToken.None));
    }

    [Fact]
    public async Task Connect_AfterACut_KeepsTryingUntilTheGatewayListens()
    {
        var port = UnusedPort();
        var connecting = DialAfterACut(port, out _);
        // The first attempt is refused at once on loopback; the dialer then waits for its next tick (sequencing only:
        // were the first attempt still pending, it would connect by itself and the test would still hold).
        await Task.Delay(100);
        Assert.False(connecting.IsCompleted);
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        try
        {
            var accepting = listener.AcceptSocketAsync();
            await TickUntilDoneAsync(connecting);

            await using var stream = await connecting;
            using var server = await accepting;
            await stream.WriteAsync(new byte[] { 42 });
            var received = new byte[1];
            Assert.Equal(1, await server.ReceiveAsync(received));
            Assert.Equal(42, received[0]);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Connect_QuickPeriodEndsWithNoGateway_FailsWithTheRefusal()
    {
        var connecting = DialAfterACut(UnusedPort(), out var pacing);
        await TickUntilDoneAsync(connecting);

        await Assert.ThrowsAsync<SocketException>(() => connecting);
        Assert.False(pacing.Quick);
    }

    /// <summary>A connection attempt right after a cut, on the fake clock.</summary>
    private Task<Stream> DialAfterACut(int port, out ReconnectPacing pacing)
    {
        pacing = new ReconnectPacing(_time);
        pacing.OnCut();
        return new Dialer(pacing, _time).ConnectAsync(Gateway(port), CancellationToken.None).AsTask();
    }

    /// <summary>Moves the clock one quick interval at a time until <paramref name="connecting"/> is done.</summary>
    private async Task TickUntilDoneAsync(Task connecting)
    {
        while (!connecting.IsCompleted)
        {
            _time.Advance(ReconnectPacing.QuickInterval);
            await Task.WhenAny(connecting, Task.Delay(20));
        }
    }

    private static DnsEndPoint Gateway(int port) => new("127.0.0.1", port);

    private static int UnusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

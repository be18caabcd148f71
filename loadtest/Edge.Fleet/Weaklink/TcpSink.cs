using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

using Edge.LoadTest;

namespace Edge.Fleet.Weaklink;

/// <summary>
/// The far end of the plain-TCP comparison: reads an 8-byte big-endian length and that many bytes, answers one byte
/// once all have arrived (so the sender's clock stops when the data is there, not when it left), and closes.
/// </summary>
internal static class TcpSink
{
    public static async Task<int> RunAsync(ScenarioArguments arguments)
    {
        var listener = new TcpListener(IPAddress.Any, arguments.Int("port", 5081));
        listener.Start();
        Console.WriteLine($"tcp-sink listening on {listener.LocalEndpoint}");
        while (true)
        {
            var socket = await listener.AcceptSocketAsync();
            _ = Task.Run(async () =>
            {
                using (socket)
                {
                    try
                    {
                        var header = new byte[8];
                        await ReadExactlyAsync(socket, header);
                        var left = BinaryPrimitives.ReadInt64BigEndian(header);
                        var buffer = new byte[64 * 1024];
                        while (left > 0)
                        {
                            var read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)));
                            if (read == 0)
                            {
                                return;
                            }

                            left -= read;
                        }

                        await socket.SendAsync(new byte[] { 1 });
                        socket.Shutdown(SocketShutdown.Both);
                    }
                    catch (SocketException)
                    {
                    }
                }
            });
        }
    }

    public static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                throw new IOException("the connection closed early");
            }

            buffer = buffer[read..];
        }
    }
}

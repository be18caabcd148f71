using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>
/// A real redis-server process on a free loopback port, started once per test collection. Each test that needs a
/// clean keyspace takes its own key prefix instead of flushing, so collections can share one server.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string _appendFsync;

    /// <summary>
    /// A server as production runs it: append-only file, fsync'd before every answer, which the gateway requires
    /// (<c>Edge:RedisDurability</c>).
    /// </summary>
    public RedisServer()
        : this("always")
    {
    }

    /// <summary>A server with another <c>appendfsync</c> policy (<c>everysec</c>, <c>no</c>).</summary>
    internal RedisServer(string appendFsync) => _appendFsync = appendFsync;

    private Process? _process;
    private string? _directory;

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public async Task InitializeAsync()
    {
        var executable = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (Debian package redis-server); the test command installs it.");
        _directory = Directory.CreateTempSubdirectory("edge-redis-").FullName;
        Port = FreePorts.Next();
        _process = Process.Start(new ProcessStartInfo(executable,
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", _appendFsync, "--dir", _directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}

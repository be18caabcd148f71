using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Edge.Gateway.Tests.Storage;

/// <summary>A fresh embedded state file in a temporary directory, for the SQLite side of a store contract.</summary>
internal sealed class SqliteBackend : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edge-contract-").FullName;

    public SqliteBackend(FakeTimeProvider clock, ForwardingOptions? forwarding = null)
    {
        Clock = clock;
        Forwarding = Options.Create(forwarding ?? new ForwardingOptions());
        Database = new SqliteDatabase(Options.Create(new EdgeOptions { DataDirectory = _directory }));
    }

    public FakeTimeProvider Clock { get; }

    public IOptions<ForwardingOptions> Forwarding { get; }

    public SqliteDatabase Database { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>A connection to the test redis-server with a key prefix of its own, for the Redis side of a store contract.</summary>
internal sealed class RedisBackend : IDisposable
{
    public RedisBackend(RedisServer server, FakeTimeProvider clock, ForwardingOptions? forwarding = null)
    {
        Clock = clock;
        Forwarding = Options.Create(forwarding ?? new ForwardingOptions());
        Edge = Options.Create(new EdgeOptions { RedisKeyPrefix = $"c{Guid.NewGuid():N}:" });
        Redis = ConnectionMultiplexer.Connect(server.ConnectionString);
        Keys = new RedisKeys(Edge);
    }

    public FakeTimeProvider Clock { get; }

    public IOptions<ForwardingOptions> Forwarding { get; }

    public IOptions<EdgeOptions> Edge { get; }

    public ConnectionMultiplexer Redis { get; }

    public RedisKeys Keys { get; }

    public void Dispose() => Redis.Dispose();
}

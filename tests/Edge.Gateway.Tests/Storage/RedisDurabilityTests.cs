using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Edge.Gateway.Tests.Storage;

/// <summary>Redis mode answers writes only on a Redis that fsyncs them first, and replicas keep their identity.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisDurabilityTests(RedisServer redis)
{
    [Fact]
    public async Task RedisThatFsyncsEverySecond_RefusedAtStart_WithTheReasonAndTheWayOut()
    {
        var lax = new RedisServer("everysec");
        await lax.InitializeAsync();
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayHost.StartAsync(redis: lax.ConnectionString));

            Assert.Contains("appendfsync everysec", error.Message, StringComparison.Ordinal);
            Assert.Contains("Edge:RedisDurability=Warn", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await lax.DisposeAsync();
        }
    }

    [Fact]
    public async Task RedisThatFsyncsEverySecond_AcceptedWhenToldToWarn()
    {
        var lax = new RedisServer("everysec");
        await lax.InitializeAsync();
        try
        {
            await using var host = await GatewayHost.StartAsync(redis: lax.ConnectionString, settings: new Dictionary<string, string?> { ["Edge:RedisDurability"] = "Warn" });
            var response = await new Grpc.Health.V1.Health.HealthClient(host.Channel(null)).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());

            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
        }
        finally
        {
            await lax.DisposeAsync();
        }
    }

    [Fact]
    public async Task DurableRedis_PassesTheCheck()
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var check = new RedisDurabilityCheck(connection, Options.Create(new EdgeOptions()), new Lifetime(), NullLogger<RedisDurabilityCheck>.Instance);

        Assert.Null(await check.CheckAsync());
    }

    [Fact]
    public async Task ReplicaId_HeldByALiveProcess_ConfiguredIdRefused_DefaultIdFallsBack_FreedIdTakenAtOnce()
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var keys = new RedisKeys(Options.Create(new EdgeOptions { RedisKeyPrefix = $"l{Guid.NewGuid():N}:" }));
        RedisReplicaLease Lease(string? id) => new(connection, keys, Options.Create(new EdgeOptions { ReplicaId = id }), TimeProvider.System, NullLogger<RedisReplicaLease>.Instance);

        var first = Lease("replica-x");
        Assert.Equal("replica-x", await first.AcquireAsync(default));
        await using (var second = Lease("replica-x"))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => second.AcquireAsync(default));
        }

        await using (var byHost = Lease(null))
        await using (var byHostAgain = Lease(null))
        {
            var a = await byHost.AcquireAsync(default);
            var b = await byHostAgain.AcquireAsync(default);
            Assert.NotEqual(a, b);
        }

        await first.DisposeAsync();
        await using var third = Lease("replica-x");
        Assert.Equal("replica-x", await third.AcquireAsync(default));
        Assert.Equal("replica-x/p2", IReplicaIdentity.Consumer("replica-x", OutboxLane.Proofs, 2));
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}

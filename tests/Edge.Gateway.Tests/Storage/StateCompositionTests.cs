using Edge.Gateway.Blobs;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Manifests;
using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Tests.Storage;

/// <summary>
/// Each state mode is composed in one place: every mode-specific service registered once, resolving to that mode's
/// implementation, both in the gateway and in what the operator commands build.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class StateCompositionTests(RedisServer redis) : IDisposable
{
    private static readonly Type[] StateServices =
    [
        typeof(IUploadSessionStore), typeof(IBlobIndex), typeof(IScanStore), typeof(IOutbox), typeof(IProofStore),
        typeof(IDeadLetters), typeof(IReceiptFeed), typeof(IManifestStore), typeof(IManifestVersionBus),
        typeof(IStateProbe),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("edge-composition-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gateway_RegistersEveryStateServiceAndTheProofRulesOnce(bool useRedis)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(Settings(useRedis));

        builder.AddEdgeGateway();

        Assert.All(StateServices.Append(typeof(IProofRules)), type => Assert.Single(builder.Services, d => d.ServiceType == type));
        Assert.Equal(typeof(ManifestProofRules), builder.Services.Single(d => d.ServiceType == typeof(IProofRules)).ImplementationType);
    }

    [Theory]
    [InlineData(false, "^(Sqlite|InProcess|Local)")]
    [InlineData(true, "^Redis")]
    public async Task EdgeState_ResolvesEveryServiceToTheModesOwn(bool useRedis, string implementation)
    {
        var services = new ServiceCollection().AddLogging();
        var edge = new EdgeOptions { DataDirectory = _directory, Redis = useRedis ? redis.ConnectionString : null, RedisKeyPrefix = $"s{Guid.NewGuid():N}:" };
        services.AddSingleton(Options.Create(edge));

        services.AddEdgeState(edge);
        await using var provider = services.BuildServiceProvider();

        // Embedded mode has one node: receipts and manifest versions stay in the process.
        Assert.All(StateServices, type => Assert.Matches(implementation, provider.GetRequiredService(type).GetType().Name));
        Assert.NotEmpty(await provider.GetRequiredService<IStateProbe>().ProbeAsync(default));
    }

    private Dictionary<string, string?> Settings(bool useRedis) => new()
    {
        ["Edge:DataDirectory"] = _directory,
        ["Edge:Redis"] = useRedis ? redis.ConnectionString : null,
    };
}

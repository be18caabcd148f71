using Grpc.Net.Client;

namespace Edge.Client.Tests.Infrastructure;

/// <summary>
/// The real gateway as its own process (tests/Shared/GatewayProcess.cs) for a collection of SDK tests: embedded mode,
/// a fresh data directory, forwarding with short retry pauses to the core simulator it runs inside, whose Admin service
/// is at <see cref="CoreAddress"/>. A process rather than an in-process host: the gateway's public edge.v1 types and
/// the test's would clash in one compilation.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private readonly string[] _settings;
    private GatewayProcess? _gateway;
    private GrpcChannel? _admin;

    public GatewayFixture()
        : this([])
    {
    }

    /// <summary>A gateway with more settings, as command-line arguments (<c>--Edge:Intake:MaxScanBatch</c>, <c>5</c>).</summary>
    internal GatewayFixture(string[] settings) => _settings = settings;

    public Uri Address => Gateway.Address;

    /// <summary>The embedded core simulator, for its <c>core.v1.Admin</c> service.</summary>
    public Uri CoreAddress => Gateway.CoreAddress!;

    /// <summary>The core simulator's Admin service: faults, manifest versions, what the core received.</summary>
    public Core.V1.Admin.AdminClient CoreAdmin => new(_admin ??= GrpcChannel.ForAddress(CoreAddress));

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("edge-sdk-gw-").FullName;

    public string Output => Gateway.Output;

    private GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway has not started.");

    public async Task InitializeAsync()
        => _gateway = await GatewayProcess.StartAsync(new GatewayProcessOptions
        {
            DataDirectory = DataDirectory,
            CorePort = FreePorts.Next(),
            Arguments =
            [
                "--Logging:LogLevel:Default", "Warning",
                // A core that comes back is used again within a second, not after the production pauses.
                "--Edge:Forwarding:RetryAttempts", "1", "--Edge:Forwarding:RetryBaseDelay", "00:00:00.050",
                "--Edge:Forwarding:MaxRetryDelay", "00:00:00.300", "--Edge:Forwarding:BreakDuration", "00:00:00.500",
                .. _settings,
            ],
        });

    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        Directory.Delete(DataDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

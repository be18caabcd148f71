using Edge.Gateway.Manifests;
using Edge.Gateway.Proofs;
using Edge.Gateway.Security;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using CoreV1 = global::Core.V1;

namespace Edge.Gateway.Tests.Manifests;

/// <summary>
/// The proof rules the gateway enforces from the manifest, on a route published at the core with one stop of each
/// kind: plain, confidential and opted out of photos.
/// </summary>
public sealed class ManifestProofRulesTests : IAsyncLifetime
{
    private const string Route = "R-0020";
    private static readonly DeviceIdentity Device = new("device-1", "driver-1", new HashSet<string> { Route });

    private GatewayHost _host = null!;
    private IProofRules _rules = null!;

    public async Task InitializeAsync()
    {
        _host = await GatewayHost.StartAsync();
        using var admin = await CoreAdmin.ForAsync(_host);
        await admin.Client.PublishManifestAsync(new CoreV1.PublishManifestRequest
        {
            RouteId = Route,
            Manifest = new CoreV1.RouteManifest
            {
                DriverId = "driver-1",
                DepotId = "DEPOT-1",
                Stops =
                {
                    CoreStop("S-1", 1, 52.2000, -1.5000, confidential: false, optOut: false, "P-1", "P-2"),
                    CoreStop("S-2", 2, 52.2100, -1.5100, confidential: true, optOut: false, "P-3"),
                    CoreStop("S-3", 3, 52.2200, -1.5200, confidential: false, optOut: true, "P-4"),
                },
            },
        });
        _rules = _host.Services.GetRequiredService<IProofRules>();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public void Registration_ProofRulesAreTheManifestRules()
        => Assert.IsType<ManifestProofRules>(_rules);

    [Fact]
    public async Task Evaluate_PlainStopOnSite_Accepted()
    {
        var ruling = await _rules.EvaluateAsync(Proof("S-1", 52.2003, -1.5002, "P-1", "P-2"), Device, default);

        Assert.Equal(ProofRuling.Accept, ruling);
    }

    [Fact]
    public async Task Evaluate_ConfidentialStop_PhotoWithheld()
    {
        var ruling = await _rules.EvaluateAsync(Proof("S-2", 52.2100, -1.5100, "P-3"), Device, default);

        Assert.Null(ruling.Refusal);
        Assert.True(ruling.PhotoWithheld);
        Assert.Equal(ManifestProofRules.ConfidentialReason, ruling.PhotoWithheldReason);
        Assert.False(ruling.OffSite);
    }

    [Fact]
    public async Task Evaluate_PhotoOptOutStop_PhotoWithheld()
    {
        var ruling = await _rules.EvaluateAsync(Proof("S-3", 52.2200, -1.5200, "P-4"), Device, default);

        Assert.Null(ruling.Refusal);
        Assert.True(ruling.PhotoWithheld);
        Assert.Equal(ManifestProofRules.OptOutReason, ruling.PhotoWithheldReason);
    }

    [Fact]
    public async Task Evaluate_FarFromTheStop_FlaggedOffSite()
    {
        // About 330 m north of S-1: over the default 150 m.
        var ruling = await _rules.EvaluateAsync(Proof("S-1", 52.2030, -1.5000, "P-1"), Device, default);
        var near = await _rules.EvaluateAsync(Proof("S-1", 52.2010, -1.5000, "P-1"), Device, default);

        Assert.Null(ruling.Refusal);
        Assert.True(ruling.OffSite);
        Assert.False(ruling.PhotoWithheld);
        Assert.False(near.OffSite);
    }

    [Fact]
    public async Task Evaluate_WithoutPosition_NotFlagged()
    {
        var proof = Proof("S-1", 0, 0, "P-1");
        proof.Location = null;

        var ruling = await _rules.EvaluateAsync(proof, Device, default);

        Assert.Equal(ProofRuling.Accept, ruling);
    }

    [Fact]
    public async Task Evaluate_PackageNotOnTheRoute_Refused()
    {
        var ruling = await _rules.EvaluateAsync(Proof("S-1", 52.2, -1.5, "P-1", "P-404"), Device, default);

        Assert.Equal(StatusCode.FailedPrecondition, ruling.Refusal?.StatusCode);
        Assert.Contains("P-404", ruling.Refusal?.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_PackageOfAnotherStop_Refused()
    {
        var ruling = await _rules.EvaluateAsync(Proof("S-1", 52.2, -1.5, "P-3"), Device, default);

        Assert.Equal(StatusCode.FailedPrecondition, ruling.Refusal?.StatusCode);
        Assert.Contains("stop 'S-2'", ruling.Refusal?.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_StopNotOnTheRoute_Refused()
    {
        var ruling = await _rules.EvaluateAsync(Proof("S-99", 52.2, -1.5, "P-1"), Device, default);

        Assert.Equal(StatusCode.FailedPrecondition, ruling.Refusal?.StatusCode);
        Assert.Contains("S-99", ruling.Refusal?.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_RouteNotInToken_PermissionDenied()
    {
        var other = new DeviceIdentity("device-2", "driver-2", new HashSet<string> { "R-0001" });

        var ruling = await _rules.EvaluateAsync(Proof("S-1", 52.2, -1.5, "P-1"), other, default);

        Assert.Equal(StatusCode.PermissionDenied, ruling.Refusal?.StatusCode);
    }

    [Theory]
    [InlineData(52.2, -1.5, 52.2, -1.5, 0)]
    [InlineData(51.5007, -0.1246, 40.6892, -74.0445, 5_574_840)] // Big Ben to the Statue of Liberty
    [InlineData(52.2, -1.5, 52.2009, -1.5, 100)]
    public void GeoDistance_Haversine_MatchesKnownDistances(double lat1, double lon1, double lat2, double lon2, double expectedMeters)
        => Assert.InRange(GeoDistance.Meters(lat1, lon1, lat2, lon2), (expectedMeters * 0.995) - 1, (expectedMeters * 1.005) + 1);

    private static SubmitProofRequest Proof(string stopId, double latitude, double longitude, params string[] packages)
        => new()
        {
            ProofId = Guid.NewGuid().ToString("N"),
            RouteId = Route,
            StopId = stopId,
            PackageIds = { packages },
            Location = new DeviceLocation { Latitude = latitude, Longitude = longitude, AccuracyMeters = 8 },
        };

    private static CoreV1.Stop CoreStop(string id, int sequence, double latitude, double longitude, bool confidential, bool optOut, params string[] packages)
    {
        var stop = new CoreV1.Stop
        {
            StopId = id,
            Sequence = sequence,
            Location = new CoreV1.GeoPoint { Latitude = latitude, Longitude = longitude },
            Confidential = confidential,
            PhotoOptOut = optOut,
        };
        foreach (var package in packages)
        {
            stop.Packages.Add(new CoreV1.Package { PackageId = package, Barcode = "BC-" + package });
        }

        return stop;
    }
}

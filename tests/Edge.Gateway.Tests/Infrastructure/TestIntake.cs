using Core.V1;
using Edge.Gateway.Core;
using Edge.Gateway.Tests.Imaging;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>Scan events, proofs and photos as a device makes them, and a view of the core simulator.</summary>
internal static class TestIntake
{
    /// <summary>
    /// Forwarding settings for tests: short pauses, quick takeover, a short break; and the per-device rates lifted, since
    /// one test device sends what a fleet sends (the abuse suite tests the rates with the gateway's defaults).
    /// </summary>
    public static Dictionary<string, string?> FastForwarding(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Edge:Forwarding:PollInterval"] = "00:00:00.020",
            ["Edge:Forwarding:RetryAttempts"] = "1",
            ["Edge:Forwarding:RetryBaseDelay"] = "00:00:00.020",
            ["Edge:Forwarding:MaxRetryDelay"] = "00:00:00.250",
            ["Edge:Forwarding:BreakDuration"] = "00:00:00.500",
            ["Edge:Forwarding:ClaimTimeout"] = "00:00:02",
            ["Edge:Forwarding:BacklogMeasureInterval"] = "00:00:00.200",
            ["Edge:Limits:ScanEventsPerSecond"] = "1000000",
            ["Edge:Limits:ScanEventBurst"] = "10000000",
            ["Edge:Limits:ProofsPerSecond"] = "1000000",
            ["Edge:Limits:ProofBurst"] = "1000000",
            ["Edge:Limits:UploadStartsPerSecond"] = "1000000",
            ["Edge:Limits:UploadStartBurst"] = "1000000",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>The same settings as command-line arguments for a gateway process.</summary>
    public static string[] FastForwardingArgs() => FastForwarding().Select(kv => $"--{kv.Key}={kv.Value}").ToArray();

    public static V1.ScanEvent Scan(string eventId, long sequence = 1, string route = "R-0001") => new()
    {
        EventId = eventId,
        Sequence = sequence,
        PackageId = "P-" + sequence,
        Barcode = "1Z999AA1" + sequence,
        RouteId = route,
        StopId = "S-001",
        Type = V1.ScanType.Delivered,
        ScannedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Location = new V1.DeviceLocation { Latitude = 52.37, Longitude = 4.89, AccuracyMeters = 8 },
    };

    private static V1.Stop? s_plainStop;

    /// <summary>
    /// What a device does at the start of its route: fetches the manifest of R-0001 through the gateway (which also
    /// makes it the gateway's last known good copy). Proofs made by <see cref="Proof"/> then close the route's first
    /// stop that is neither confidential nor opted out of photos, at the stop's own position. The simulator's manifests
    /// come from a fixed seed, so that stop is the same on every gateway.
    /// </summary>
    public static async Task<V1.Stop> StartRouteAsync(GrpcChannel channel)
    {
        var response = await new V1.Manifests.ManifestsClient(channel).GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" });
        var stop = response.Manifest.Stops.First(s => !s.Confidential && !s.PhotoOptOut && s.Packages.Count > 0);
        s_plainStop = stop;
        return stop;
    }

    public static SubmitProofRequest Proof(string proofId, params string[] photos)
    {
        var stop = s_plainStop ?? throw new InvalidOperationException("Call StartRouteAsync before making proofs.");
        return new SubmitProofRequest
        {
            ProofId = proofId,
            RouteId = "R-0001",
            StopId = stop.StopId,
            PackageIds = { stop.Packages[0].PackageId },
            DeliveredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Location = new V1.DeviceLocation { Latitude = stop.Location.Latitude, Longitude = stop.Location.Longitude, AccuracyMeters = 8 },
            PlaceLeft = V1.PlaceLeft.FrontDoor,
            PhotoSha256 = { photos },
        };
    }

    /// <summary>Routes the simulator serves first; a token for all of them lets a test pick a stop of a kind.</summary>
    public static readonly string[] FirstRoutes = Enumerable.Range(1, 12).Select(i => $"R-{i:0000}").ToArray();

    /// <summary>The first stop of <see cref="FirstRoutes"/> that matches, with its route.</summary>
    public static async Task<(string Route, V1.Stop Stop)> FindStopAsync(GrpcChannel channel, Func<V1.Stop, bool> predicate)
    {
        var manifests = new V1.Manifests.ManifestsClient(channel);
        foreach (var route in FirstRoutes)
        {
            var manifest = (await manifests.GetManifestAsync(new GetManifestRequest { RouteId = route })).Manifest;
            if (manifest.Stops.FirstOrDefault(predicate) is { } stop)
            {
                return (route, stop);
            }
        }

        throw new InvalidOperationException("no such stop in the simulator's first routes");
    }

    /// <summary>A proof closing <paramref name="stop"/> at the given position.</summary>
    public static SubmitProofRequest ProofAt(string id, string route, V1.Stop stop, double latitude, double longitude, params string[] photos) => new()
    {
        ProofId = id,
        RouteId = route,
        StopId = stop.StopId,
        PackageIds = { stop.Packages[0].PackageId },
        DeliveredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Location = new V1.DeviceLocation { Latitude = latitude, Longitude = longitude, AccuracyMeters = 5 },
        PlaceLeft = V1.PlaceLeft.FrontDoor,
        PhotoSha256 = { photos },
    };

    /// <summary>A proof closing <paramref name="stop"/> at the stop's own position.</summary>
    public static SubmitProofRequest ProofAt(string id, string route, V1.Stop stop, params string[] photos)
        => ProofAt(id, route, stop, stop.Location.Latitude, stop.Location.Longitude, photos);

    /// <summary>Uploads <paramref name="count"/> distinct real JPEGs; returns their device digests.</summary>
    public static async Task<string[]> UploadPhotosAsync(GrpcChannel channel, int count, string prefix)
    {
        var client = new V1.Uploads.UploadsClient(channel);
        var digests = new string[count];
        for (var i = 0; i < count; i++)
        {
            var completed = await TestUploader.UploadToEndAsync(client, $"{prefix}-photo-{i}", TestPhotos.PhoneJpeg((uint)(480 + i), 360));
            digests[i] = completed.Blob.Sha256;
        }

        return digests;
    }

    public static async Task<Admin.AdminClient> AdminAsync(GatewayHost host)
    {
        var address = await host.Services.GetRequiredService<EmbeddedCoreSimulator>().Address;
        return new Admin.AdminClient(GrpcChannel.ForAddress(address));
    }

    public static Admin.AdminClient Admin(int corePort) => new(GrpcChannel.ForAddress($"http://127.0.0.1:{corePort}"));

    public static async Task SetCoreDownAsync(Admin.AdminClient admin, bool down)
        => await admin.SetFaultsAsync(down
            ? new SetFaultsRequest { Faults = new Faults(), DownFor = Duration.FromTimeSpan(TimeSpan.FromHours(1)) }
            : new SetFaultsRequest { Faults = new Faults() });

    /// <summary>Polls until the condition holds; fails after the timeout (a hang guard, not a timing assertion).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("gave up waiting for " + (what ?? "the condition"));
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the core recorded (accepted or rejected) exactly these ids, then asserts each once.</summary>
    public static async Task AssertCoreHasScansOnceAsync(Admin.AdminClient admin, IReadOnlyCollection<string> eventIds, TimeSpan? timeout = null)
    {
        ListScansResponse scans = new();
        await WaitUntilAsync(async () =>
        {
            scans = await admin.ListScansAsync(new Empty());
            return scans.AcceptedEventIds.Count + scans.RejectedEventIds.Count >= eventIds.Count;
        }, timeout, "the core to have every scan");
        var recorded = scans.AcceptedEventIds.Concat(scans.RejectedEventIds).ToList();
        Assert.Equal(recorded.Count, recorded.Distinct().Count());
        Assert.Equal(eventIds.OrderBy(x => x, StringComparer.Ordinal), recorded.OrderBy(x => x, StringComparer.Ordinal));
    }

    public static async Task AssertCoreHasProofsOnceAsync(Admin.AdminClient admin, IReadOnlyCollection<string> proofIds, TimeSpan? timeout = null)
    {
        ListProofsResponse proofs = new();
        await WaitUntilAsync(async () =>
        {
            proofs = await admin.ListProofsAsync(new Empty());
            return proofs.AcceptedProofIds.Count + proofs.RejectedProofIds.Count >= proofIds.Count;
        }, timeout, "the core to have every proof");
        var recorded = proofs.AcceptedProofIds.Concat(proofs.RejectedProofIds).ToList();
        Assert.Equal(recorded.Count, recorded.Distinct().Count());
        Assert.Equal(proofIds.OrderBy(x => x, StringComparer.Ordinal), recorded.OrderBy(x => x, StringComparer.Ordinal));
    }
}

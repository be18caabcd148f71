using Edge.Gateway.Blobs;
using System.Collections.Concurrent;
using Edge.Gateway.Proofs;
using Edge.Gateway.Proofs.Reuse;
using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Infrastructure;
using Edge.LoadTesting;
using Edge.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;
using CoreKind = Core.V1.PhotoReuse.Types.Kind;

namespace Edge.Gateway.Tests.Proofs;

/// <summary>
/// Photo reuse over gRPC, in both state modes: a photo (or a re-encoded, resized copy of it) sent again with a proof
/// for another stop is flagged, with the evidence for the core and only a general word for the device; different
/// scenes, retries of the same proof and repeat deliveries to the same stop or address are not reuse.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PhotoReuseTests(RedisServer redis)
{
    private static readonly string[] Routes = Enumerable.Range(1, 12).Select(i => $"R-{i:0000}").ToArray();
    private static readonly ConcurrentDictionary<(int, string), byte[]> Photos = new();

    /// <summary>A porch scene (JPEG), or a copy of it made as <paramref name="transform"/>; made once per test run.</summary>
    private static byte[] Photo(int scene, string transform = "original") => Photos.GetOrAdd((scene, transform), key =>
    {
        var original = PorchScenes.Jpeg(key.Item1, 1200, 900);
        return key.Item2 == "original" ? original : PorchScenes.Transform(original, key.Item2);
    });

    private static Task<GatewayHost> StartAsync(bool useRedis, RedisServer redis, Action<IServiceCollection>? services = null)
        => GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding(), services: services);

    /// <summary>Two stops that keep their photos, at different addresses, on the simulator's first routes.</summary>
    private static async Task<(string Route, Stop Stop)[]> TwoStopsAsync(GrpcChannel channel)
    {
        var manifests = new V1.Manifests.ManifestsClient(channel);
        var stops = new List<(string Route, Stop Stop)>();
        foreach (var route in Routes)
        {
            var manifest = (await manifests.GetManifestAsync(new GetManifestRequest { RouteId = route })).Manifest;
            foreach (var stop in manifest.Stops.Where(s => !s.Confidential && !s.PhotoOptOut && s.Packages.Count > 0))
            {
                if (stops.All(known => StopPlaces.Fingerprint(known.Stop.Address) != StopPlaces.Fingerprint(stop.Address)))
                {
                    stops.Add((route, stop));
                }

                if (stops.Count == 2)
                {
                    return [.. stops];
                }
            }
        }

        throw new InvalidOperationException("the simulator's first routes have fewer than two photo stops");
    }

    private static async Task<string> UploadAsync(GrpcChannel channel, string uploadId, byte[] photo)
        => (await TestUploader.UploadToEndAsync(new V1.Uploads.UploadsClient(channel), uploadId, photo)).Blob.Sha256;

    private static SubmitProofRequest ProofAt(string proofId, (string Route, Stop Stop) at, params string[] photos) => new()
    {
        ProofId = proofId,
        RouteId = at.Route,
        StopId = at.Stop.StopId,
        PackageIds = { at.Stop.Packages[0].PackageId },
        DeliveredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Location = new DeviceLocation { Latitude = at.Stop.Location.Latitude, Longitude = at.Stop.Location.Longitude, AccuracyMeters = 5 },
        PlaceLeft = PlaceLeft.FrontDoor,
        PhotoSha256 = { photos },
    };

    private static async Task<global::Core.V1.DeliverProofRequest> AtCoreAsync(GatewayHost host, V1.Proofs.ProofsClient client, string proofId)
    {
        await WaitUntilAsync(async () => (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = proofId })).Status == ProofStatus.Committed);
        return (await (await AdminAsync(host)).GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = proofId })).Proof;
    }

    private static void AssertSaysNothingOf(ProofReceipt receipt, params string[] secrets)
    {
        var text = receipt.ToString();
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_WithAResizedCopyOfAnEarlierProofsPhoto_AtAnotherStop_IsFlagged_CoreGetsEvidence_ReceiptGeneral(bool useRedis)
    {
        await using var host = await StartAsync(useRedis, redis);
        var channel = host.Channel(routes: Routes);
        var stops = await TwoStopsAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var original = await UploadAsync(channel, "original", Photo(1));
        var copy = await UploadAsync(channel, "copy", Photo(1, "resize-50"));

        var first = await client.SubmitProofAsync(ProofAt("first", stops[0], original));
        var second = await client.SubmitProofAsync(ProofAt("second", stops[1], copy));
        var evidence = (await AtCoreAsync(host, client, "second")).PhotoReuse;
        var status = await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "second" });

        Assert.False(first.PhotoReused);
        Assert.Empty(first.PhotoReuseReason);
        Assert.True(second.PhotoReused);
        Assert.False(second.RepeatDelivery);
        Assert.Contains("earlier proof", second.PhotoReuseReason, StringComparison.Ordinal);
        AssertSaysNothingOf(second, "first", stops[0].Stop.StopId, stops[0].Route);
        Assert.True(status.PhotoReused);
        Assert.Equal(CoreKind.Reused, evidence.Kind);
        Assert.Equal("first", evidence.EarlierProofId);
        Assert.Equal("device-1", evidence.EarlierDeviceId);
        Assert.Equal(stops[0].Route, evidence.EarlierRouteId);
        Assert.Equal(stops[0].Stop.StopId, evidence.EarlierStopId);
        Assert.InRange(evidence.Distance, 0, evidence.Threshold);
        Assert.Equal(new PhotoReuseOptions().MaxDistance, evidence.Threshold);
        Assert.Equal(1, evidence.Matches);
        var stored = await host.Services.GetRequiredService<IBlobIndex>().GetAsync(copy, CancellationToken.None);
        Assert.Equal(stored!.StoredSha256, evidence.PhotoSha256);
        Assert.Null((await AtCoreAsync(host, client, "first")).PhotoReuse);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proofs_WithPhotosOfDifferentScenes_AreNotFlagged(bool useRedis)
    {
        await using var host = await StartAsync(useRedis, redis);
        var channel = host.Channel(routes: Routes);
        var stops = await TwoStopsAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var receipts = new List<ProofReceipt>();

        for (var scene = 2; scene <= 5; scene++)
        {
            var photo = await UploadAsync(channel, $"scene-{scene}", Photo(scene));
            receipts.Add(await client.SubmitProofAsync(ProofAt($"scene-{scene}", stops[scene % 2], photo)));
        }

        Assert.All(receipts, r => Assert.False(r.PhotoReused || r.RepeatDelivery));
        Assert.Null((await AtCoreAsync(host, client, "scene-5")).PhotoReuse);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_SentAgain_OrWithTwoShotsOfOneScene_IsNotReuse(bool useRedis)
    {
        await using var host = await StartAsync(useRedis, redis);
        var channel = host.Channel(routes: Routes);
        var stops = await TwoStopsAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var shot = await UploadAsync(channel, "shot", Photo(6));
        var again = await UploadAsync(channel, "shot-again", Photo(6, "bright-15"));

        var first = await client.SubmitProofAsync(ProofAt("resent", stops[0], shot, again));
        var resent = await client.SubmitProofAsync(ProofAt("resent", stops[0], shot, again));

        // A retry after a failure between the check and the store: the proof's own prints are in the index already.
        var record = await host.Services.GetRequiredService<IProofStore>().GetAsync("resent", CancellationToken.None);
        var blobs = host.Services.GetRequiredService<IBlobIndex>();
        var hashes = new List<string>();
        foreach (var digest in new[] { shot, again })
        {
            hashes.Add((await blobs.GetAsync(digest, CancellationToken.None))!.Photo!.PerceptualHash);
        }

        var retried = await host.Services.GetRequiredService<PhotoReuseCheck>().CheckAsync(record!.Proof, hashes, CancellationToken.None);

        Assert.False(first.PhotoReused || first.RepeatDelivery);
        Assert.Equal(first, resent);
        Assert.Same(PhotoReuseFinding.None, retried);
        Assert.Null(record.Proof.PhotoReuse);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_AtTheSameStopAgain_IsARepeatDelivery_NotReuse(bool useRedis)
    {
        await using var host = await StartAsync(useRedis, redis);
        var channel = host.Channel(routes: Routes);
        var stops = await TwoStopsAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var monday = await UploadAsync(channel, "monday", Photo(7));
        var tuesday = await UploadAsync(channel, "tuesday", Photo(7, "jpeg-q70"));

        await client.SubmitProofAsync(ProofAt("visit-1", stops[0], monday));
        var second = await client.SubmitProofAsync(ProofAt("visit-2", stops[0], tuesday));
        var evidence = (await AtCoreAsync(host, client, "visit-2")).PhotoReuse;

        Assert.False(second.PhotoReused);
        Assert.True(second.RepeatDelivery);
        Assert.Contains("this stop or address", second.PhotoReuseReason, StringComparison.Ordinal);
        Assert.Equal(CoreKind.RepeatDelivery, evidence.Kind);
        Assert.Equal("visit-1", evidence.EarlierProofId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_AtTheSameAddressAsAnEarlierProofOnAnotherRoute_IsARepeatDelivery(bool useRedis)
    {
        await using var host = await StartAsync(useRedis, redis);
        var channel = host.Channel(routes: Routes);
        var stops = await TwoStopsAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var photo = await UploadAsync(channel, "address", Photo(8));
        var hash = ulong.Parse((await host.Services.GetRequiredService<IBlobIndex>().GetAsync(photo, CancellationToken.None))!.Photo!.PerceptualHash,
            System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

        // Last week's route to the same house, by another driver: another route and stop id, the same address.
        await host.Services.GetRequiredService<IPhotoPrintIndex>().AddAsync(
            [new PhotoPrint(hash ^ 0b101, "last-week", "device-7", "R-0900", "R-0900-S014", StopPlaces.Fingerprint(stops[0].Stop.Address), DateTimeOffset.UtcNow.AddDays(-7))],
            CancellationToken.None);
        var receipt = await client.SubmitProofAsync(ProofAt("this-week", stops[0], photo));
        var evidence = (await AtCoreAsync(host, client, "this-week")).PhotoReuse;

        Assert.True(receipt.RepeatDelivery);
        Assert.False(receipt.PhotoReused);
        Assert.Equal(CoreKind.RepeatDelivery, evidence.Kind);
        Assert.Equal("R-0900-S014", evidence.EarlierStopId);
        Assert.Equal(2, evidence.Distance);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_WithACopyOfAnotherDevicesPhoto_IsFlagged_AndOnlyTheCoreLearnsWhose(bool useRedis)
    {
        await using var host = await StartAsync(useRedis, redis);
        var owner = host.Channel("device-a", routes: Routes);
        var other = host.Channel("device-b", routes: Routes);
        var stops = await TwoStopsAsync(owner);
        var photo = await UploadAsync(owner, "theirs", Photo(9));
        var copy = await UploadAsync(other, "forwarded", Photo(9, "messenger"));

        await new V1.Proofs.ProofsClient(owner).SubmitProofAsync(ProofAt("a-proof", stops[0], photo));
        var client = new V1.Proofs.ProofsClient(other);
        var receipt = await client.SubmitProofAsync(ProofAt("b-proof", stops[1], copy));
        var evidence = (await AtCoreAsync(host, client, "b-proof")).PhotoReuse;

        Assert.True(receipt.PhotoReused);
        AssertSaysNothingOf(receipt, "a-proof", "device-a", stops[0].Stop.StopId, stops[0].Route);
        Assert.Equal(CoreKind.Reused, evidence.Kind);
        Assert.Equal("a-proof", evidence.EarlierProofId);
        Assert.Equal("device-a", evidence.EarlierDeviceId);
        Assert.Equal(stops[0].Stop.StopId, evidence.EarlierStopId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_WithACopyOfAPhotoOlderThanTheWindow_IsNotFlagged(bool useRedis)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(useRedis, redis, s => s.AddSingleton<TimeProvider>(clock));
        var channel = host.Channel(routes: Routes);
        var stops = await TwoStopsAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var x = await UploadAsync(channel, "x", Photo(10));
        var y = await UploadAsync(channel, "y", Photo(11));
        await client.SubmitProofAsync(ProofAt("x-1", stops[0], x));
        await client.SubmitProofAsync(ProofAt("y-1", stops[0], y));

        // The copies are taken when they are used (a photo no proof names is let go after a week).
        clock.Advance(TimeSpan.FromDays(29));
        var xCopy = await UploadAsync(channel, "x-copy", Photo(10, "resize-50"));
        var withinWindow = await client.SubmitProofAsync(ProofAt("x-2", stops[1], xCopy));
        clock.Advance(TimeSpan.FromDays(2));
        var yCopy = await UploadAsync(channel, "y-copy", Photo(11, "resize-50"));
        var pastWindow = await client.SubmitProofAsync(ProofAt("y-2", stops[1], yCopy));
        var stored = await host.Services.GetRequiredService<IProofStore>().GetAsync("y-2", CancellationToken.None);

        Assert.True(withinWindow.PhotoReused);
        Assert.False(pastWindow.PhotoReused || pastWindow.RepeatDelivery);
        Assert.Null(stored!.Proof.PhotoReuse);
    }
}

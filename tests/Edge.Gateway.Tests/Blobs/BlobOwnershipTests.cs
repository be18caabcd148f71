using Edge.Gateway.Blobs;
using Edge.Gateway.Tests.Imaging;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Blobs;

/// <summary>
/// A photo belongs to the devices that uploaded it: another device can neither learn that it exists, name it in a
/// proof, nor make it go away. Storage dedupes underneath (one file, counted references). Both state modes.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class BlobOwnershipTests(RedisServer redis)
{
    private async Task<(GatewayHost Host, GrpcChannel A, GrpcChannel B)> StartAsync(bool useRedis)
    {
        var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var a = host.Channel("device-a", routes: FirstRoutes);
        var b = host.Channel("device-b", routes: FirstRoutes);
        await StartRouteAsync(a);
        return (host, a, b);
    }

    private static async Task<StoredBlob> UploadAsync(GrpcChannel channel, string uploadId, byte[] photo)
        => (await TestUploader.UploadToEndAsync(new V1.Uploads.UploadsClient(channel), uploadId, photo)).Blob;

    private static async Task<IReadOnlyList<string>> MissingAsync(GrpcChannel channel, params string[] digests)
        => (await new V1.Uploads.UploadsClient(channel).FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { digests } })).MissingSha256;

    private static int StoredFiles(GatewayHost host)
        => Directory.EnumerateFiles(host.Services.GetRequiredService<BlobStore>().Root, "*", SearchOption.AllDirectories).Count();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnotherDevicesPhoto_IsMissingForTheCaller_AndItsUploadIsStoredOnce(bool useRedis)
    {
        var (host, a, b) = await StartAsync(useRedis);
        await using var _ = host;
        var photo = TestPhotos.PhoneJpeg(640, 480);
        var ofA = await UploadAsync(a, "own-a", photo);

        var missingForB = await MissingAsync(b, ofA.Sha256);
        var missingForA = await MissingAsync(a, ofA.Sha256);
        var outcome = await TestUploader.UploadAsync(new V1.Uploads.UploadsClient(b), "own-b", photo);

        Assert.Equal([ofA.Sha256], missingForB);
        Assert.Empty(missingForA);
        Assert.False(outcome.Started.BlobExists); // the early return is for the device that holds the photo
        Assert.Null(outcome.Started.Blob);
        Assert.NotNull(outcome.Completed);
        Assert.Equal(ofA.StoredSha256, outcome.Completed.Blob.StoredSha256);
        Assert.Empty(await MissingAsync(b, ofA.Sha256));
        Assert.Equal(2, StoredFiles(host)); // one photo and one thumbnail, whoever uploaded them
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proof_NamingAnotherDevicesPhoto_IsRefusedAndNotStored(bool useRedis)
    {
        var (host, a, b) = await StartAsync(useRedis);
        await using var _ = host;
        var ofA = await UploadAsync(a, "named-a", TestPhotos.PhoneJpeg(600, 400));
        var (route, stop) = await FindStopAsync(b, s => !s.Confidential && !s.PhotoOptOut);
        var proofs = new V1.Proofs.ProofsClient(b);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await proofs.SubmitProofAsync(ProofAt("named-by-b", route, stop, ofA.Sha256)));
        var status = await Assert.ThrowsAsync<RpcException>(async () => await proofs.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "named-by-b" }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("not uploaded by this device", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, status.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithheldProof_OfAnotherDevice_NeverDeletesThePhoto(bool useRedis)
    {
        var (host, a, b) = await StartAsync(useRedis);
        await using var _ = host;
        var photo = TestPhotos.PhoneJpeg(620, 420);
        var ofA = await UploadAsync(a, "kept-a", photo);
        var (confidentialRoute, confidential) = await FindStopAsync(b, s => s.Confidential);
        var (route, stop) = await FindStopAsync(a, s => !s.Confidential && !s.PhotoOptOut);
        var store = host.Services.GetRequiredService<BlobStore>();

        // B names A's photo without holding it, then uploads the same bytes and withholds its own copy.
        var stranger = await new V1.Proofs.ProofsClient(b).SubmitProofAsync(ProofAt("b-names-a", confidentialRoute, confidential, ofA.Sha256));
        var stillThere = store.Exists(ofA.StoredSha256);
        await UploadAsync(b, "kept-b", photo);
        var own = await new V1.Proofs.ProofsClient(b).SubmitProofAsync(ProofAt("b-withholds", confidentialRoute, confidential, ofA.Sha256));
        var proofsOfA = new V1.Proofs.ProofsClient(a);
        var receipt = await proofsOfA.SubmitProofAsync(ProofAt("a-delivers", route, stop, ofA.Sha256));
        await WaitUntilAsync(async () => (await proofsOfA.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "a-delivers" })).Status == ProofStatus.Committed);

        Assert.True(stranger.PhotoWithheld);
        Assert.True(own.PhotoWithheld);
        Assert.True(stillThere);
        Assert.True(store.Exists(ofA.StoredSha256));
        Assert.True(store.Exists(ofA.Photo.ThumbnailSha256));
        Assert.Equal(ProofStatus.Received, receipt.Status);
        Assert.Empty(await MissingAsync(a, ofA.Sha256));
        Assert.Equal([ofA.Sha256], await MissingAsync(b, ofA.Sha256)); // B gave its copy up
        var atCore = await (await AdminAsync(host)).GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = "a-delivers" });
        Assert.Equal(ofA.StoredSha256, Assert.Single(atCore.Proof.Photos).StoredSha256);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SamePixelsWithOtherMetadata_ShareOneFile_AndReleasingOneKeepsItForTheOther(bool useRedis)
    {
        var (host, a, _) = await StartAsync(useRedis);
        await using var __ = host;
        using var scene = TestPhotos.Scene(700, 500);
        TestPhotos.AddPhoneMetadata(scene);
        scene.Comment = "first copy";
        var first = TestPhotos.Jpeg(scene);
        scene.Comment = "second copy";
        var second = TestPhotos.Jpeg(scene);
        var one = await UploadAsync(a, "pixels-1", first);
        var two = await UploadAsync(a, "pixels-2", second);
        var (confidentialRoute, confidential) = await FindStopAsync(a, s => s.Confidential);
        var (route, stop) = await FindStopAsync(a, s => !s.Confidential && !s.PhotoOptOut);
        var store = host.Services.GetRequiredService<BlobStore>();
        var proofs = new V1.Proofs.ProofsClient(a);

        await proofs.SubmitProofAsync(ProofAt("pixels-withheld", confidentialRoute, confidential, one.Sha256));
        await proofs.SubmitProofAsync(ProofAt("pixels-delivered", route, stop, two.Sha256));
        await WaitUntilAsync(async () => (await proofs.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "pixels-delivered" })).Status == ProofStatus.Committed);

        Assert.NotEqual(one.Sha256, two.Sha256);
        Assert.Equal(one.StoredSha256, two.StoredSha256);
        Assert.Equal([one.Sha256], await MissingAsync(a, one.Sha256, two.Sha256));
        Assert.True(store.Exists(two.StoredSha256));
        Assert.True(store.Exists(two.Photo.ThumbnailSha256));
        Assert.Equal(2, StoredFiles(host));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompletedUpload_WhosePhotoWasReleased_StartsOverInsteadOfClaimingItExists(bool useRedis)
    {
        var (host, a, _) = await StartAsync(useRedis);
        await using var __ = host;
        var photo = TestPhotos.PhoneJpeg(660, 440);
        var uploads = new V1.Uploads.UploadsClient(a);
        var first = await UploadAsync(a, "again", photo);
        var (confidentialRoute, confidential) = await FindStopAsync(a, s => s.Confidential);
        await new V1.Proofs.ProofsClient(a).SubmitProofAsync(ProofAt("again-withheld", confidentialRoute, confidential, first.Sha256));

        var query = await uploads.QueryUploadAsync(new QueryUploadRequest { UploadId = "again" });
        var retry = await TestUploader.UploadAsync(uploads, "again", photo);

        Assert.Equal(QueryUploadResponse.Types.State.InProgress, query.State);
        Assert.Equal(0, query.CommittedOffset);
        Assert.False(retry.Started.BlobExists);
        Assert.Equal(0, retry.Started.CommittedOffset);
        Assert.NotNull(retry.Completed);
        Assert.True(host.Services.GetRequiredService<BlobStore>().Exists(retry.Completed.Blob.StoredSha256));
    }
}

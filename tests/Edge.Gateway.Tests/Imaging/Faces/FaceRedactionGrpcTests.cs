using Edge.Gateway.Tests.Infrastructure;
using Edge.LoadTesting;
using Edge.V1;
using ImageMagick;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Imaging.Faces;

/// <summary>
/// Face redaction per route over gRPC: a device working a route with redaction on gets its faces blurred and is told
/// so in the upload's photo report, and the proof forwarded to the core says redaction ran; a device on another route
/// keeps its photo as it was.
/// </summary>
public sealed class FaceRedactionGrpcTests
{
    private static byte[] FacePhoto(int seed)
    {
        using var scene = FaceScenes.Make(seed, faceSizes: [360], lookalikes: false, width: 1600, height: 1200);
        scene.Image.Quality = 90;
        return scene.Image.ToByteArray(MagickFormat.Jpeg);
    }

    [Fact]
    public async Task RouteWithRedaction_BlursFaces_ReportsIt_AndTellsTheCore_OtherRoutesUntouched()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding(new() { ["Edge:Photos:FaceRedaction:Routes:0"] = "R-0001" }));
        var redacted = host.Channel("device-1", routes: ["R-0001"]);
        var other = host.Channel("device-2", routes: ["R-0002"]);
        var stop = await StartRouteAsync(redacted);

        var blurred = await TestUploader.UploadToEndAsync(new V1.Uploads.UploadsClient(redacted), "face-1", FacePhoto(41));
        var kept = await TestUploader.UploadToEndAsync(new V1.Uploads.UploadsClient(other), "face-2", FacePhoto(42));

        Assert.True(blurred.Blob.Photo.FacesChecked);
        Assert.Equal(1, blurred.Blob.Photo.FacesBlurred);
        Assert.False(kept.Blob.Photo.FacesChecked);
        Assert.Equal(0, kept.Blob.Photo.FacesBlurred);

        var proofs = new V1.Proofs.ProofsClient(redacted);
        await proofs.SubmitProofAsync(Proof("faces-proof", blurred.Blob.Sha256));
        await WaitUntilAsync(async () => (await proofs.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "faces-proof" })).Status == ProofStatus.Committed);
        var atCore = (await (await AdminAsync(host)).GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = "faces-proof" })).Proof;

        var photo = Assert.Single(atCore.Photos);
        Assert.True(photo.FacesChecked);
        Assert.Equal(1, photo.FacesBlurred);
        Assert.Equal(blurred.Blob.StoredSha256, photo.StoredSha256);
        Assert.Equal(stop.StopId, atCore.StopId);
    }
}

using Edge.Gateway.Blobs;
using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Proofs;

/// <summary>
/// The manifest's rules applied to proofs through SubmitProof, whatever the app sends: photos of confidential and
/// opted-out stops are withheld and deleted, proofs far from the stop are flagged, packages must be on the route.
/// </summary>
public sealed class ProofRulesEndToEndTests : IAsyncLifetime
{
    private static readonly string[] Routes = FirstRoutes;
    private GatewayHost _host = null!;
    private Grpc.Net.Client.GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _host = await GatewayHost.StartAsync(settings: FastForwarding());
        _channel = _host.Channel(routes: Routes);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<(string Route, Stop Stop)> FindStopAsync(Func<Stop, bool> predicate) => TestIntake.FindStopAsync(_channel, predicate);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Proof_ForConfidentialOrOptedOutStop_IsAcceptedAndItsPhotoWithheldAndDeleted(bool confidential)
    {
        var (route, stop) = await FindStopAsync(s => confidential ? s.Confidential : s.PhotoOptOut && !s.Confidential);
        var photo = (await UploadPhotosAsync(_channel, 1, $"withheld-{confidential}"))[0];
        var stored = (await _host.Services.GetRequiredService<IBlobIndex>().GetAsync(photo, CancellationToken.None))!;
        var blobs = _host.Services.GetRequiredService<BlobStore>();
        Assert.True(blobs.Exists(stored.StoredSha256));
        var client = new V1.Proofs.ProofsClient(_channel);

        var receipt = await client.SubmitProofAsync(ProofAt($"withheld-{confidential}", route, stop, stop.Location.Latitude, stop.Location.Longitude, photo));
        await WaitUntilAsync(async () => (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = receipt.ProofId })).Status == ProofStatus.Committed);
        var atCore = await (await AdminAsync(_host)).GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = receipt.ProofId });

        Assert.Equal(ProofStatus.Received, receipt.Status);
        Assert.True(receipt.PhotoWithheld);
        Assert.False(string.IsNullOrEmpty(receipt.PhotoWithheldReason));
        Assert.True(atCore.Proof.PhotoWithheld);
        Assert.Empty(atCore.Proof.Photos);
        Assert.False(blobs.Exists(stored.StoredSha256));
        Assert.False(blobs.Exists(stored.Photo!.ThumbnailSha256));
    }

    [Fact]
    public async Task Proof_FarFromTheStop_IsAcceptedAndFlaggedOffSite()
    {
        var (route, stop) = await FindStopAsync(s => !s.Confidential && !s.PhotoOptOut);
        var photo = (await UploadPhotosAsync(_channel, 1, "far"))[0];
        var client = new V1.Proofs.ProofsClient(_channel);

        // About 1 km north of the stop.
        var far = await client.SubmitProofAsync(ProofAt("far-away", route, stop, stop.Location.Latitude + 0.009, stop.Location.Longitude, photo));
        var near = await client.SubmitProofAsync(ProofAt("at-door", route, stop, stop.Location.Latitude + 0.0002, stop.Location.Longitude, photo));
        await WaitUntilAsync(async () => (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "far-away" })).Status == ProofStatus.Committed);
        var atCore = await (await AdminAsync(_host)).GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = "far-away" });

        Assert.True(far.OffSite);
        Assert.False(near.OffSite);
        Assert.True(atCore.Proof.OffSite);
        Assert.Single(atCore.Proof.Photos);
    }

    [Fact]
    public async Task Proof_ForAPackageNotOnTheStopOrAStopNotOnTheRoute_IsRefused()
    {
        var (route, stop) = await FindStopAsync(s => !s.Confidential && !s.PhotoOptOut);
        var photo = (await UploadPhotosAsync(_channel, 1, "strange"))[0];
        var client = new V1.Proofs.ProofsClient(_channel);
        var wrongPackage = ProofAt("wrong-package", route, stop, stop.Location.Latitude, stop.Location.Longitude, photo);
        wrongPackage.PackageIds[0] = "NOT-A-PACKAGE";
        var wrongStop = ProofAt("wrong-stop", route, stop, stop.Location.Latitude, stop.Location.Longitude, photo);
        wrongStop.StopId = "R-9999-S001";

        var packageError = await Assert.ThrowsAsync<RpcException>(async () => await client.SubmitProofAsync(wrongPackage));
        var stopError = await Assert.ThrowsAsync<RpcException>(async () => await client.SubmitProofAsync(wrongStop));
        var notStored = await Assert.ThrowsAsync<RpcException>(async () => await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "wrong-package" }));

        Assert.Equal(StatusCode.FailedPrecondition, packageError.StatusCode);
        Assert.Contains("NOT-A-PACKAGE", packageError.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, stopError.StatusCode);
        Assert.Equal(StatusCode.NotFound, notStored.StatusCode);
    }

    [Fact]
    public async Task Proof_ForARouteNotInTheToken_IsPermissionDenied()
    {
        var (route, stop) = await FindStopAsync(s => !s.Confidential && !s.PhotoOptOut);
        var photo = (await UploadPhotosAsync(_channel, 1, "foreign"))[0];
        var stranger = new V1.Proofs.ProofsClient(_host.Channel("device-9", routes: ["R-0040"]));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await stranger.SubmitProofAsync(ProofAt("foreign", route, stop, stop.Location.Latitude, stop.Location.Longitude, photo)));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }
}

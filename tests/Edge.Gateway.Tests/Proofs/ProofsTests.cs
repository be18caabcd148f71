using Edge.Gateway.Forwarding;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Proofs;

[Collection(RedisCollection.Name)]
public sealed class ProofsTests(RedisServer redis)
{
    [Fact]
    public async Task SubmitProof_PhotoNeverUploaded_IsFailedPreconditionNamingIt()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var channel = host.Channel();
        await StartRouteAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var digest = new string('a', 64);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SubmitProofAsync(Proof("never", digest)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(digest, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitProof_Malformed_IsInvalidArgumentWithFieldDetails()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var channel = host.Channel();
        await StartRouteAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);
        var proof = Proof("malformed", "not-a-digest");

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SubmitProofAsync(proof).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var badRequest = error.GetRpcStatus()!.GetDetail<BadRequest>();
        Assert.Equal("photo_sha256[0]", Assert.Single(badRequest.FieldViolations).Field);
    }

    [Fact]
    public async Task SubmitProof_RouteNotInToken_IsPermissionDenied()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        await StartRouteAsync(host.Channel());
        var client = new V1.Proofs.ProofsClient(host.Channel(routes: ["R-0002"]));

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SubmitProofAsync(Proof("other-route", new string('b', 64))).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SubmitProof_SameIdTwice_ReturnsFirstAnswer_ThenCommitted(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var channel = host.Channel();
        await StartRouteAsync(channel);
        var photos = await UploadPhotosAsync(channel, 1, "twice");
        var client = new V1.Proofs.ProofsClient(channel);

        var first = await client.SubmitProofAsync(Proof("same-id", photos));
        var changed = Proof("same-id", photos);
        changed.Note = "a different body";
        var again = await client.SubmitProofAsync(changed);
        await WaitUntilAsync(async () => (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "same-id" })).Status == ProofStatus.Committed);

        Assert.Equal(ProofStatus.Received, first.Status);
        Assert.Equal(first, again);
        var admin = await AdminAsync(host);
        await AssertCoreHasProofsOnceAsync(admin, ["same-id"]);
        var stored = await admin.GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = "same-id" });
        Assert.Empty(stored.Proof.Note);
        Assert.NotEmpty(stored.Proof.Photos[0].ThumbnailSha256);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SubmitProof_CoreRejects_DeadLetteredAndDeviceSeesRejected(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var channel = host.Channel();
        await StartRouteAsync(channel);
        var admin = await AdminAsync(host);
        await admin.SetFaultsAsync(new global::Core.V1.SetFaultsRequest
        {
            Faults = new global::Core.V1.Faults { RejectProofIds = { "doomed" }, RejectScanEventIds = { "doomed-scan" }, RejectReason = "stop cancelled" },
        });
        var photos = await UploadPhotosAsync(channel, 1, "reject");
        var client = new V1.Proofs.ProofsClient(channel);
        using var watch = client.WatchReceipts(new WatchReceiptsRequest());
        await watch.ResponseHeadersAsync;

        await client.SubmitProofAsync(Proof("doomed", photos));
        await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest { Events = { Scan("doomed-scan") } });
        var seen = new List<ProofReceipt>();
        while (seen.LastOrDefault()?.Status is not ProofStatus.Rejected && await watch.ResponseStream.MoveNext(CancellationToken.None))
        {
            seen.Add(watch.ResponseStream.Current);
        }

        var letters = host.Services.GetRequiredService<IDeadLetters>();
        await WaitUntilAsync(async () => (await letters.ListAsync(CancellationToken.None)).Count == 2);
        Assert.Equal([ProofStatus.Received, ProofStatus.Rejected], seen.Select(r => r.Status));
        Assert.Equal("stop cancelled", seen[^1].Reason);
        Assert.Equal(["proof:doomed", "scan:doomed-scan"], (await letters.ListAsync(CancellationToken.None)).Select(l => l.Id).Order());
        Assert.Equal(ProofStatus.Rejected, (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "doomed" })).Status);
    }

    [Fact]
    public async Task WatchReceipts_Since_ReplaysEarlierChanges()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var channel = host.Channel();
        await StartRouteAsync(channel);
        var photos = await UploadPhotosAsync(channel, 1, "replay");
        var client = new V1.Proofs.ProofsClient(channel);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await client.SubmitProofAsync(Proof("replayed", photos));
        await WaitUntilAsync(async () => (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "replayed" })).Status == ProofStatus.Committed);

        using var watch = client.WatchReceipts(new WatchReceiptsRequest { Since = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(before) });
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal("replayed", watch.ResponseStream.Current.ProofId);
        Assert.Equal(ProofStatus.Committed, watch.ResponseStream.Current.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SubmitProof_IdUsedByAnotherDevice_IsARejectedReceiptAndStoresNothing(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var ownerChannel = host.Channel("device-owner");
        var otherChannel = host.Channel("device-other");
        await StartRouteAsync(ownerChannel);
        var owner = new V1.Proofs.ProofsClient(ownerChannel);
        var other = new V1.Proofs.ProofsClient(otherChannel);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var first = await owner.SubmitProofAsync(Proof("taken-1", await UploadPhotosAsync(ownerChannel, 1, "owner")));
        var reuse = Proof("taken-1", await UploadPhotosAsync(otherChannel, 1, "other"));
        reuse.Note = "the other device's proof";

        var refused = await other.SubmitProofAsync(reuse);
        var status = await Assert.ThrowsAsync<RpcException>(() => other.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "taken-1" }).ResponseAsync);
        await WaitUntilAsync(async () => (await owner.GetProofStatusAsync(new GetProofStatusRequest { ProofId = "taken-1" })).Status == ProofStatus.Committed);

        Assert.Equal(ProofStatus.Received, first.Status);
        Assert.Equal("taken-1", refused.ProofId);
        Assert.Equal(ProofStatus.Rejected, refused.Status);
        Assert.Equal("proof id already used by another device; use a new proof_id", refused.Reason);
        Assert.False(refused.PhotoWithheld);
        Assert.False(refused.OffSite);
        Assert.Equal(StatusCode.NotFound, status.StatusCode);
        var store = host.Services.GetRequiredService<Gateway.Proofs.IProofStore>();
        Assert.Empty(await store.ListChangedSinceAsync("device-other", before, CancellationToken.None));
        Assert.Equal("device-owner", (await store.GetAsync("taken-1", CancellationToken.None))!.DeviceId);
        var admin = await AdminAsync(host);
        await AssertCoreHasProofsOnceAsync(admin, ["taken-1"]);
        var stored = await admin.GetProofAsync(new global::Core.V1.GetProofRequest { ProofId = "taken-1" });
        Assert.Equal("device-owner", stored.Proof.DeviceId);
        Assert.Empty(stored.Proof.Note);
    }

    [Fact]
    public async Task SubmitProof_OutOfRangeDeliveredAt_IsInvalidArgumentWithFieldViolation()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var channel = host.Channel();
        await StartRouteAsync(channel);
        var client = new V1.Proofs.ProofsClient(channel);

        foreach (var (time, i) in Scans.ScansTests.BadTimes().Select((t, i) => (t, i)))
        {
            var proof = Proof($"bad-time-{i}", new string('a', 64));
            proof.DeliveredAt = time;

            var error = await Assert.ThrowsAsync<RpcException>(() => client.SubmitProofAsync(proof).ResponseAsync);

            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
            Assert.Equal("delivered_at", violation.Field);
            Assert.StartsWith("not a valid time", violation.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WatchReceipts_OutOfRangeSince_IsInvalidArgumentWithFieldViolation()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var client = new V1.Proofs.ProofsClient(host.Channel());

        foreach (var since in Scans.ScansTests.BadTimes())
        {
            using var watch = client.WatchReceipts(new WatchReceiptsRequest { Since = since });
            var error = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None));

            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Equal("since", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        }
    }
}

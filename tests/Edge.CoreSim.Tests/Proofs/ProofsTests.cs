using Core.V1;
using Google.Rpc;
using Grpc.Core;

namespace Edge.CoreSim.Tests.Proofs;

public sealed class ProofsTests : CoreSimTest
{
    [Fact]
    public async Task DeliverProof_SameIdTwice_StoredOnce()
    {
        await using var core = await StartCoreAsync();
        var photo = TestData.RandomBytes(10_000);
        await TestData.UploadAsync(core.Blobs, photo);
        var proof = TestData.Proof(TestData.NewId("P"), TestData.Sha256(photo));

        var first = await core.Proofs.DeliverProofAsync(proof);
        var second = await core.Proofs.DeliverProofAsync(proof);

        Assert.Equal(DeliveryOutcome.Accepted, first.Outcome);
        Assert.Equal(DeliveryOutcome.Duplicate, second.Outcome);
        Assert.Equal(first.RecordedAt, second.RecordedAt);
        var stored = await core.Admin.ListProofsAsync(new());
        Assert.Equal([proof.ProofId], stored.AcceptedProofIds);
        var counters = await core.Admin.GetCountersAsync(new());
        Assert.Equal(2, counters.ProofDeliveries[proof.ProofId]);
    }

    [Fact]
    public async Task DeliverProof_ConcurrentSameId_OneAcceptedRestDuplicate()
    {
        await using var core = await StartCoreAsync();
        var proof = TestData.Proof(TestData.NewId("P"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => core.Proofs.DeliverProofAsync(proof).ResponseAsync));

        Assert.Single(answers, a => a.Outcome == DeliveryOutcome.Accepted);
        Assert.Equal(7, answers.Count(a => a.Outcome == DeliveryOutcome.Duplicate));
        Assert.Single((await core.Admin.ListProofsAsync(new())).AcceptedProofIds);
    }

    [Fact]
    public async Task DeliverProof_PhotoNotUploaded_FailedPreconditionNamesBlob()
    {
        await using var core = await StartCoreAsync();
        var uploaded = TestData.RandomBytes(100);
        await TestData.UploadAsync(core.Blobs, uploaded);
        var missing = TestData.Sha256(TestData.RandomBytes(100));
        var proof = TestData.Proof(TestData.NewId("P"), TestData.Sha256(uploaded));
        proof.Photos[0].ThumbnailSha256 = missing;

        var error = await TestData.ThrowsRpcAsync(StatusCode.FailedPrecondition, () => core.Proofs.DeliverProofAsync(proof).ResponseAsync);

        var failure = error.GetRpcStatus()!.GetDetail<PreconditionFailure>();
        var violation = Assert.Single(failure.Violations);
        Assert.Equal("BLOB_MISSING", violation.Type);
        Assert.Equal(missing, violation.Subject);
        Assert.Empty((await core.Admin.ListProofsAsync(new())).AcceptedProofIds);
    }

    [Fact]
    public async Task DeliverProof_MissingFields_InvalidArgumentListsEachField()
    {
        await using var core = await StartCoreAsync();
        var proof = TestData.Proof("bad id with spaces");
        proof.DeliveredAt = null;
        proof.PhotoWithheld = false;

        var error = await TestData.ThrowsRpcAsync(StatusCode.InvalidArgument, () => core.Proofs.DeliverProofAsync(proof).ResponseAsync);

        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToArray();
        Assert.Equal(["proof_id", "delivered_at", "photos"], fields);
    }

    [Fact]
    public async Task GetProof_AfterRedelivery_ReturnsFirstDelivery()
    {
        await using var core = await StartCoreAsync();
        var proof = TestData.Proof(TestData.NewId("P"));
        await core.Proofs.DeliverProofAsync(proof);
        var changed = proof.Clone();
        changed.Note = "second attempt";
        await core.Proofs.DeliverProofAsync(changed);

        var stored = await core.Admin.GetProofAsync(new GetProofRequest { ProofId = proof.ProofId });

        Assert.Equal(proof, stored.Proof);
        Assert.Equal(DeliveryOutcome.Accepted, stored.Response.Outcome);
        await TestData.ThrowsRpcAsync(StatusCode.NotFound, () => core.Admin.GetProofAsync(new GetProofRequest { ProofId = "nope" }).ResponseAsync);
    }

    [Fact]
    public async Task DeliverProof_WithPhotoReuseEvidence_IsStoredAsSent_AndBadEvidenceIsInvalidArgument()
    {
        await using var core = await StartCoreAsync();
        var photo = TestData.RandomBytes(1000);
        await TestData.UploadAsync(core.Blobs, photo);
        var flagged = TestData.Proof(TestData.NewId("P"), TestData.Sha256(photo));
        flagged.PhotoReuse = new PhotoReuse
        {
            Kind = PhotoReuse.Types.Kind.Reused,
            EarlierProofId = "P-earlier",
            EarlierDeviceId = "device-7",
            EarlierRouteId = "R-0003",
            EarlierStopId = "R-0003-S012",
            EarlierReceivedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-3)),
            Distance = 2,
            Threshold = 6,
            PhotoSha256 = flagged.Photos[0].StoredSha256,
            Matches = 1,
        };
        var bad = flagged.Clone();
        bad.ProofId = TestData.NewId("P");
        bad.PhotoReuse.Kind = PhotoReuse.Types.Kind.Unspecified;
        bad.PhotoReuse.Distance = 9;
        bad.PhotoReuse.EarlierProofId = string.Empty;

        await core.Proofs.DeliverProofAsync(flagged);
        var stored = await core.Admin.GetProofAsync(new GetProofRequest { ProofId = flagged.ProofId });
        var error = await TestData.ThrowsRpcAsync(StatusCode.InvalidArgument, () => core.Proofs.DeliverProofAsync(bad).ResponseAsync);

        Assert.Equal(flagged.PhotoReuse, stored.Proof.PhotoReuse);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).Order().ToArray();
        Assert.Equal(["photo_reuse.distance", "photo_reuse.earlier_proof_id", "photo_reuse.kind"], fields);
    }
}

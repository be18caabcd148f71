using Core.V1;

namespace Edge.CoreSim.Tests.Storage;

public sealed class RestartTests : CoreSimTest
{
    [Fact]
    public async Task Restart_SameDataDirectory_KeepsProofsScansBlobsAndManifests()
    {
        var photo = TestData.RandomBytes(4_000);
        var proof = TestData.Proof(TestData.NewId("P"), TestData.Sha256(photo));
        var scan = TestData.Scan(TestData.NewId("E"));
        RouteManifest published;
        await using (var core = await StartCoreAsync())
        {
            await TestData.UploadAsync(core.Blobs, photo);
            await core.Proofs.DeliverProofAsync(proof);
            await core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { scan } });
            published = (await core.Admin.PublishManifestAsync(new PublishManifestRequest { RouteId = "R-0001" })).Manifest;
        }

        await using var restarted = await StartCoreAsync();

        Assert.Empty((await restarted.Blobs.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { TestData.Sha256(photo) } })).MissingSha256);
        Assert.Equal([proof.ProofId], (await restarted.Admin.ListProofsAsync(new())).AcceptedProofIds);
        Assert.Equal(DeliveryOutcome.Duplicate, (await restarted.Proofs.DeliverProofAsync(proof)).Outcome);
        var scans = await restarted.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { scan } });
        Assert.Equal(DeliveryOutcome.Duplicate, Assert.Single(scans.Results).Outcome);
        Assert.Equal(published, await restarted.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0001" }));
    }

    [Fact]
    public async Task Restart_TornLogTail_KeepsWholeRecordsAndAppendsAfterThem()
    {
        var first = TestData.Proof(TestData.NewId("P"));
        var second = TestData.Proof(TestData.NewId("P"));
        await using (var core = await StartCoreAsync())
        {
            await core.Proofs.DeliverProofAsync(first);
        }

        // A crash in the middle of an append: a frame header that promises more bytes than follow.
        await using (var log = new FileStream(Path.Combine(Data.Path, "proofs.log"), FileMode.Append))
        {
            await log.WriteAsync(new byte[] { 200, 0, 0, 0, 1, 2, 3, 4, 5, 6 });
        }

        await using (var core = await StartCoreAsync())
        {
            Assert.Equal(DeliveryOutcome.Accepted, (await core.Proofs.DeliverProofAsync(second)).Outcome);
        }

        await using var restarted = await StartCoreAsync();
        Assert.Equal([first.ProofId, second.ProofId], (await restarted.Admin.ListProofsAsync(new())).AcceptedProofIds);
    }

    [Fact]
    public async Task Start_DataDirectoryInUse_Fails()
    {
        await using var core = await StartCoreAsync();

        await Assert.ThrowsAsync<IOException>(() => StartCoreAsync());
    }
}

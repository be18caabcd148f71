using Edge.Gateway.Proofs;
using Edge.Gateway.Tests.Storage;
using Google.Protobuf;

namespace Edge.Gateway.Tests.Proofs;

/// <summary>The proof model against the messages: every field maps both ways, and stored forms of either version read back.</summary>
public sealed class ProofRecordTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Proof_FromTheCoreMessageAndBack_KeepsEveryField()
    {
        var request = ProofStoreContract.LegacyRequest("p-1", "d1");

        var proof = ProofWire.FromCore(request);

        Assert.Equal(request, ProofWire.ToCore(proof));
        Assert.Equal((ParcelPlace.Neighbour, PhotoReuseKind.Reused, 2), (proof.PlaceLeft, proof.PhotoReuse!.Kind, proof.PackageIds.Count));
    }

    [Fact]
    public void Proof_AsJson_ReadsBackTheSame()
    {
        var proof = ProofWire.FromCore(ProofStoreContract.LegacyRequest("p-1", "d1"));

        var read = ProofRecordCodec.DecodeProof(ProofRecordCodec.Encode(proof));

        Assert.Equal(ProofWire.ToCore(proof), ProofWire.ToCore(read));
    }

    [Fact]
    public void Proof_StoredAsTheCoreMessage_IsRead()
    {
        var request = ProofStoreContract.LegacyRequest("p-1", "d1");

        var read = ProofRecordCodec.DecodeProof(request.ToByteArray());

        Assert.Equal(request, ProofWire.ToCore(read));
    }

    [Fact]
    public void Proof_WithoutOptionalParts_MapsToAMessageWithoutThem()
    {
        var proof = StoreSeeds.Content("p-2", "d1", T0) with { Location = null, GatewayReceivedAt = null, PhotoWithheld = true, PhotoWithheldReason = "confidential" };

        var request = ProofWire.ToCore(ProofRecordCodec.DecodeProof(ProofRecordCodec.Encode(proof)));

        Assert.Null(request.Location);
        Assert.Null(request.GatewayReceivedAt);
        Assert.Null(request.PhotoReuse);
        Assert.Empty(request.Photos);
        Assert.Equal((true, "confidential"), (request.PhotoWithheld, request.PhotoWithheldReason));
    }

    [Fact]
    public void Receipt_ToTheDeviceAndBack_KeepsEveryField()
    {
        var receipt = new ReceiptRecord("p-1", ProofState.Rejected, "stop cancelled", T0, true, "opted out", true, true, "a photo matches", true);

        var wire = ProofWire.ToWire(receipt);

        Assert.Equal(V1.ProofStatus.Rejected, wire.Status);
        Assert.Equal(receipt, ProofWire.FromWire(wire));
        Assert.Equal(receipt, ProofRecordCodec.DecodeReceipt(ProofRecordCodec.Encode(receipt)));
        Assert.Equal(receipt, ProofRecordCodec.DecodeReceipt(wire.ToByteArray()));
    }
}

using Edge.Client.Outbox;
using Edge.V1;

namespace Edge.Client.UnitTests.Outbox;

/// <summary>Ids that come from the gateway are names to compare, never patterns or paths.</summary>
public sealed class OutboxStoreTests
{
    [Theory]
    [InlineData("*")]
    [InlineData("?")]
    [InlineData("*.proof")]
    [InlineData("../proofs/*")]
    [InlineData("")]
    public void ProofIdsThatLookLikePatterns_NameNoOtherProof(string id)
    {
        var root = Directory.CreateTempSubdirectory("edge-outbox-ids-").FullName;
        using var store = new OutboxStore(root, new OutboxCipher(null), _ => Assert.Fail("nothing is damaged"));
        store.AddProof(new QueuedProof(new SubmitProofRequest { ProofId = "p-1" }, []), DateTimeOffset.UnixEpoch);
        store.AddProof(new QueuedProof(new SubmitProofRequest { ProofId = "p-2" }, []), DateTimeOffset.UnixEpoch.AddSeconds(1));

        Assert.False(store.HoldsProof(id));
        Assert.Empty(store.RemoveProof(id));
        store.RejectProof(id);

        Assert.Equal(["p-1", "p-2"], store.PendingProofs().Select(p => p.Request.ProofId));
        Assert.True(store.HoldsProof("p-1"));
        store.RemoveProof("p-1");
        Assert.Equal(["p-2"], store.PendingProofs().Select(p => p.Request.ProofId));
    }

    [Fact]
    public void ProofWithOriginals_RoundTripsThroughItsStoredForm()
    {
        var proof = new QueuedProof(new SubmitProofRequest { ProofId = "p-9", PhotoSha256 = { "ab" } }, [new OriginalPhoto("/photos/a.jpg", "ab"), new OriginalPhoto("/photos/b.jpg", "cd")]);

        var back = QueuedProof.Parse(proof.ToBytes());

        Assert.Equal(proof.Request, back.Request);
        Assert.Equal(proof.Originals, back.Originals);
    }
}

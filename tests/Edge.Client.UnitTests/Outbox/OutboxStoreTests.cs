using Edge.Client.Outbox;
using Edge.V1;

namespace Edge.Client.UnitTests.Outbox;

/// <summary>Ids that come from the gateway are names to compare, never patterns or paths; a committed proof's originals.</summary>
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
        store.RemoveProof(id, deleteOriginals: true);
        store.RejectProof(id);

        Assert.Equal(["p-1", "p-2"], store.PendingProofs().Select(p => p.Request.ProofId));
        Assert.True(store.HoldsProof("p-1"));
        store.RemoveProof("p-1", deleteOriginals: true);
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RemoveProof_DeletesTheOriginalsStillHoldingTheirPhoto_OnlyWhenAsked(bool deleteOriginals)
    {
        var root = Directory.CreateTempSubdirectory("edge-outbox-originals-").FullName;
        using var store = new OutboxStore(Path.Combine(root, "outbox"), new OutboxCipher(null), _ => Assert.Fail("nothing is damaged"));
        var kept = Path.Combine(root, "kept.jpg");
        var reused = Path.Combine(root, "reused.jpg");
        File.WriteAllBytes(kept, [1, 2, 3]);
        File.WriteAllBytes(reused, [4, 5, 6]);
        store.AddProof(new QueuedProof(new SubmitProofRequest { ProofId = "p-1" }, [new OriginalPhoto(kept, Sha256([1, 2, 3])), new OriginalPhoto(reused, Sha256([4, 5, 6]))]), DateTimeOffset.UnixEpoch);
        // The app wrote another photo to this path after queuing the proof: not the SDK's to delete.
        File.WriteAllBytes(reused, [7, 8, 9]);

        store.RemoveProof("p-1", deleteOriginals);

        Assert.False(store.HoldsProof("p-1"));
        Assert.Equal(!deleteOriginals, File.Exists(kept));
        Assert.True(File.Exists(reused));
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));
}

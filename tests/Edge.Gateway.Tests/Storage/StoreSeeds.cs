using Edge.Gateway.Blobs;
using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage;

namespace Edge.Gateway.Tests.Storage;

/// <summary>State made the way the gateway makes it, for the store contracts.</summary>
internal static class StoreSeeds
{
    /// <summary>
    /// Completes an upload of <paramref name="sha"/> by <paramref name="device"/> (the only way a photo record and a
    /// device's hold on it are added), naming the given stored file and thumbnail.
    /// </summary>
    public static async Task<CompletionResult> CompleteUploadAsync(IUploadSessionStore sessions, string device, string sha, string stored, string thumbnail, DateTimeOffset at)
    {
        var uploadId = $"{device}-{sha[..8]}-{Guid.NewGuid():N}";
        var claim = await sessions.ClaimAsync(new UploadClaim(uploadId, device, sha, 100, "image/jpeg", at, at.AddMinutes(2), 10, 1_000_000), default);
        Assert.True(await sessions.TryCommitAsync(claim.Session!, 100, at, at.AddMinutes(2), default));
        var record = new BlobRecord(sha, stored, 90, "image/jpeg", new PhotoFacts(64, 48, "JPEG", PhotoVerdict.Ok, 0.5, 500, thumbnail, "0f0f0f0f0f0f0f0f", true));
        var result = await sessions.TryCompleteAsync(claim.Session!, record, at, default);
        Assert.True(result.Completed);
        return result;
    }

    /// <summary>A proof record as intake makes it: RECEIVED at <paramref name="at"/>, naming <paramref name="photos"/>.</summary>
    public static ProofRecord Proof(string proofId, string device, DateTimeOffset at, params string[] photos)
        => new(device, Receipt(proofId, ProofState.Received, at), Content(proofId, device, at, photos), photos);

    public static ReceiptRecord Receipt(string proofId, ProofState status, DateTimeOffset at, string reason = "")
        => new(proofId, status, reason, at);

    /// <summary>What a proof naming <paramref name="photos"/> forwards, with every kind of field set.</summary>
    public static ProofContent Content(string proofId, string device, DateTimeOffset at, params string[] photos)
        => new(proofId, device, "driver-1", "R-1", "S-1", ["P-1", "P-2"], at.AddMinutes(-1), new DevicePosition(52.37, 4.89, 8),
            ParcelPlace.FrontDoor, [.. photos.Select(p => new ForwardedPhoto(new string('e', 64), new string('f', 64), p, "image/jpeg"))],
            false, string.Empty, false, "left with the neighbour", at);
}

namespace Edge.Gateway.Blobs;

/// <summary>
/// Which objects the gateway holds, by the SHA-256 of the bytes a device sent, and which devices hold each one. A
/// device sees only what it uploaded itself: another device's photo is missing for it (it uploads the bytes, and
/// storage dedupes underneath). Each stored file carries a count of the records that name it, changed in the same
/// transaction (SQLite) or script (Redis) as the records, so a file is deleted only when nothing names it.
/// Records are added by the upload's completion (<see cref="Storage.IUploadSessionStore.TryCompleteAsync"/>), in
/// the same step that completes the upload.
/// </summary>
internal interface IBlobIndex
{
    /// <summary>The record for a digest, whoever uploaded it (for the gateway's own dedupe; never shown to a device).</summary>
    Task<BlobRecord?> GetAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>The record for a digest the device uploaded itself, or null.</summary>
    Task<BlobRecord?> GetOwnedAsync(string deviceId, string sha256, CancellationToken cancellationToken);

    /// <summary>Of <paramref name="digests"/>, those the device does not hold, in the given order.</summary>
    Task<IReadOnlyList<string>> FindMissingAsync(string deviceId, IReadOnlyList<string> digests, CancellationToken cancellationToken);

    /// <summary>
    /// For a photo a proof must not keep (confidential or opted-out stop): when no proof references the digest, the
    /// device gives it up; when no other device holds it either, the record goes. Returns what was released.
    /// </summary>
    Task<BlobRelease?> ReleaseWithheldAsync(string deviceId, string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Digests due for release: every proof naming them reached a final status before <paramref name="before"/>, or
    /// (never named by a proof) stored before <paramref name="unclaimedBefore"/>.
    /// </summary>
    Task<IReadOnlyList<string>> ListReleasableAsync(DateTimeOffset before, DateTimeOffset unclaimedBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Releases the record (every device's hold) when it is still due; null when it is not (any more).</summary>
    Task<BlobRelease?> TryReleaseAsync(string sha256, DateTimeOffset before, DateTimeOffset unclaimedBefore, CancellationToken cancellationToken);

    /// <summary>True while any record names the stored file (object or thumbnail).</summary>
    Task<bool> IsFileReferencedAsync(string storedSha256, CancellationToken cancellationToken);
}

/// <summary>What a release took away.</summary>
/// <param name="Record">The record, when it went; null when only the device's hold went.</param>
/// <param name="UnreferencedFiles">Stored files nothing names any more: delete them.</param>
internal sealed record BlobRelease(BlobRecord? Record, IReadOnlyList<string> UnreferencedFiles);

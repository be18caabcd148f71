namespace Edge.Gateway.Proofs.Reuse;

/// <summary>
/// One photo of one proof as the reuse index keeps it: the photo's 64-bit perceptual hash and where and when it was
/// delivered. The gateway's own model, not a wire message.
/// </summary>
/// <param name="Hash">The photo's dHash.</param>
/// <param name="ProofId">The proof the photo was sent with.</param>
/// <param name="DeviceId">The device that sent the proof.</param>
/// <param name="RouteId">The proof's route.</param>
/// <param name="StopId">The proof's stop.</param>
/// <param name="Place">A fingerprint of the stop's address (see <see cref="StopPlaces"/>); empty when unknown.</param>
/// <param name="ReceivedAt">When the gateway received the proof; the print expires a window after this.</param>
internal sealed record PhotoPrint(ulong Hash, string ProofId, string DeviceId, string RouteId, string StopId, string Place, DateTimeOffset ReceivedAt)
{
    /// <summary>True when <paramref name="other"/> belongs to the same proof (the same id from the same device).</summary>
    public bool IsSameProof(PhotoPrint other) => ProofId == other.ProofId && DeviceId == other.DeviceId;

    /// <summary>True when <paramref name="other"/> was a delivery to the same stop or to the same address.</summary>
    public bool IsSamePlace(PhotoPrint other)
        => (RouteId == other.RouteId && StopId == other.StopId) || (Place.Length > 0 && Place == other.Place);
}

/// <summary>A print found near a hash.</summary>
/// <param name="Print">The print.</param>
/// <param name="Distance">Hamming distance between the two hashes, 0-64.</param>
internal sealed record PhotoPrintMatch(PhotoPrint Print, int Distance);

/// <summary>
/// Perceptual hashes of the photos of recent proofs, searchable by Hamming distance at millions of prints: the hash
/// is split into <see cref="HashBands"/> and a print is a candidate only when one band is equal, which by pigeonhole
/// finds every print within the index's maximum distance. Embedded (SQLite) and Redis implementations.
/// </summary>
internal interface IPhotoPrintIndex
{
    /// <summary>
    /// Prints within the configured maximum distance of <paramref name="hash"/>, received at or after
    /// <paramref name="since"/>, nearest first.
    /// </summary>
    Task<IReadOnlyList<PhotoPrintMatch>> FindAsync(ulong hash, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Adds prints; adding a print again (same proof, device and hash) changes nothing.</summary>
    Task AddAsync(IReadOnlyList<PhotoPrint> prints, CancellationToken cancellationToken);

    /// <summary>Removes prints received before <paramref name="before"/>; returns how many (where the store can tell).</summary>
    Task<int> RemoveExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken);
}

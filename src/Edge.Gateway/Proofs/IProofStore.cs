namespace Edge.Gateway.Proofs;

internal enum ProofAddOutcome
{
    Added,
    Exists,
    PhotoMissing,
}

/// <param name="Outcome">What happened.</param>
/// <param name="Existing">The first record when the proof id was taken already.</param>
/// <param name="MissingDigest">The photo that is not on the gateway (any more).</param>
internal sealed record ProofAddResult(ProofAddOutcome Outcome, ProofRecord? Existing = null, string? MissingDigest = null);

/// <summary>
/// Proof records and their receipts, written with the proof outbox entry and the photos' references in one atomic
/// step: a proof answered RECEIVED is stored, queued, and its photos are kept until the core has it.
/// </summary>
internal interface IProofStore
{
    /// <summary>Stores the proof, queues it and references its photos, unless the proof id exists already.</summary>
    Task<ProofAddResult> AddAsync(ProofRecord record, CancellationToken cancellationToken);

    Task<ProofRecord?> GetAsync(string proofId, CancellationToken cancellationToken);

    /// <summary>
    /// Records a new receipt. A final status (COMMITTED, REJECTED) releases the photos' references, starting their
    /// retention. Returns false when there is no such proof.
    /// </summary>
    Task<bool> SetReceiptAsync(string proofId, ReceiptRecord receipt, CancellationToken cancellationToken);

    /// <summary>Receipts of the device's proofs changed after <paramref name="since"/>, oldest change first.</summary>
    Task<IReadOnlyList<ReceiptRecord>> ListChangedSinceAsync(string deviceId, DateTimeOffset since, CancellationToken cancellationToken);
}

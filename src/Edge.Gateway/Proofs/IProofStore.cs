using Edge.V1;

namespace Edge.Gateway.Proofs;

/// <summary>A proof as the gateway keeps it: whose it is, its receipt and the request for the core.</summary>
/// <param name="DeviceId">The device that submitted it.</param>
/// <param name="Receipt">Its current status, as the device sees it.</param>
/// <param name="Request">What is forwarded to the core.</param>
/// <param name="PhotoDigests">Device digests of the photos forwarded with it (empty when withheld).</param>
internal sealed record ProofRecord(string DeviceId, ProofReceipt Receipt, global::Core.V1.DeliverProofRequest Request, IReadOnlyList<string> PhotoDigests);

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
    Task<bool> SetReceiptAsync(string proofId, ProofReceipt receipt, CancellationToken cancellationToken);

    /// <summary>Receipts of the device's proofs changed after <paramref name="since"/>, oldest change first.</summary>
    Task<IReadOnlyList<ProofReceipt>> ListChangedSinceAsync(string deviceId, DateTimeOffset since, CancellationToken cancellationToken);
}

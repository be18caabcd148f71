using Edge.Gateway.Security;
using Edge.V1;
using Grpc.Core;

namespace Edge.Gateway.Proofs;

/// <summary>
/// The carrier's rules a proof must obey, taken from the route manifest whatever the app does: the stop and packages
/// must be on the route, photos are withheld for confidential and opted-out stops, and a proof made far from the stop
/// is flagged off-site. Consulted by <c>SubmitProof</c> before the proof is stored.
/// </summary>
internal interface IProofRules
{
    Task<ProofRuling> EvaluateAsync(SubmitProofRequest proof, DeviceIdentity device, CancellationToken cancellationToken);
}

/// <summary>What the rules decided about one proof.</summary>
/// <param name="Refusal">Null when the proof may be accepted; else the status and message to refuse it with.</param>
/// <param name="PhotoWithheld">True when photos must not be forwarded (and any sent must be deleted).</param>
/// <param name="PhotoWithheldReason">Why, e.g. <c>confidential stop</c> or <c>customer opted out of photos</c>.</param>
/// <param name="OffSite">True when the device's position is farther from the stop than allowed.</param>
internal sealed record ProofRuling(Status? Refusal, bool PhotoWithheld, string PhotoWithheldReason, bool OffSite)
{
    /// <summary>No objection, nothing withheld or flagged.</summary>
    public static ProofRuling Accept { get; } = new(null, false, string.Empty, false);

    public static ProofRuling Refuse(StatusCode code, string message) => new(new Status(code, message), false, string.Empty, false);
}

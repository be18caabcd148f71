using Edge.Gateway.Security;
using Edge.V1;
using Grpc.Core;

namespace Edge.Gateway.Proofs;

/// <summary>
/// The rules when nothing better is registered: the proof's route must be one the device's token names. Withholding,
/// package and off-site checks need the route manifest and come from the manifest-backed rules.
/// </summary>
internal sealed class RouteTokenProofRules : IProofRules
{
    public Task<ProofRuling> EvaluateAsync(SubmitProofRequest proof, DeviceIdentity device, CancellationToken cancellationToken)
        => Task.FromResult(device.RouteIds.Contains(proof.RouteId)
            ? ProofRuling.Accept
            : ProofRuling.Refuse(StatusCode.PermissionDenied, $"route {ClientText.Bound(proof.RouteId)} is not in the device's token"));
}

using Core.V1;
using Edge.CoreSim.Contract;
using Edge.CoreSim.FaultInjection;
using Edge.CoreSim.Manifests;
using Edge.CoreSim.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Admin;

internal sealed class AdminService(
    FaultState faults,
    ManifestCatalog manifests,
    CoreCounters counters,
    DeliveryLedger<DeliverProofRequest, DeliverProofResponse> proofs,
    DeliveryLedger<ScanEvent, ScanResult> scans,
    TimeProvider timeProvider,
    ILogger<AdminService> logger) : Core.V1.Admin.AdminBase
{
    public override Task<Core.V1.Faults> SetFaults(SetFaultsRequest request, ServerCallContext context)
    {
        var message = request.Faults?.Clone() ?? new Core.V1.Faults();
        var checks = new FieldChecks();
        FaultSet.Check(message, checks);
        if (request.DownFor is { } downFor)
        {
            if (downFor.ToTimeSpan() < TimeSpan.Zero)
            {
                checks.Add("down_for", "must not be negative");
            }
            else if (downFor.ToTimeSpan() > TimeSpan.Zero)
            {
                message.DownUntil = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow() + downFor.ToTimeSpan());
            }
        }

        checks.ThrowIfInvalid("Invalid faults.");
        faults.Replace(new FaultSet(message));
        FaultLog.Replaced(logger, message);
        return Task.FromResult(message);
    }

    public override Task<Core.V1.Faults> GetFaults(Empty request, ServerCallContext context)
        => Task.FromResult(faults.Current.Message);

    public override Task<PublishManifestResponse> PublishManifest(PublishManifestRequest request, ServerCallContext context)
    {
        var checks = new FieldChecks();
        checks.Id("route_id", request.RouteId);
        if (request.Manifest is { RouteId.Length: > 0 } manifest && manifest.RouteId != request.RouteId)
        {
            checks.Add("manifest.route_id", "must be empty or equal route_id");
        }

        checks.ThrowIfInvalid("Invalid manifest.");
        return Task.FromResult(new PublishManifestResponse { Manifest = manifests.Publish(request.RouteId, request.Manifest) });
    }

    public override Task<Counters> GetCounters(Empty request, ServerCallContext context)
        => Task.FromResult(counters.Snapshot());

    public override Task<Empty> ResetCounters(Empty request, ServerCallContext context)
    {
        counters.Reset();
        return Task.FromResult(new Empty());
    }

    public override Task<ListProofsResponse> ListProofs(Empty request, ServerCallContext context)
    {
        var response = new ListProofsResponse();
        foreach (var entry in proofs.List())
        {
            (entry.Answer.Outcome == DeliveryOutcome.Rejected ? response.RejectedProofIds : response.AcceptedProofIds).Add(entry.Item.ProofId);
        }

        return Task.FromResult(response);
    }

    public override Task<StoredProof> GetProof(GetProofRequest request, ServerCallContext context)
    {
        var entry = proofs.Find(request.ProofId);
        if (entry is null)
        {
            CoreErrors.NotFound($"No proof '{request.ProofId}'.");
        }

        return Task.FromResult(new StoredProof { Proof = entry.Item, Response = entry.Answer });
    }

    public override Task<ListScansResponse> ListScans(Empty request, ServerCallContext context)
    {
        var response = new ListScansResponse();
        foreach (var entry in scans.List())
        {
            (entry.Answer.Outcome == DeliveryOutcome.Rejected ? response.RejectedEventIds : response.AcceptedEventIds).Add(entry.Item.EventId);
        }

        return Task.FromResult(response);
    }
}

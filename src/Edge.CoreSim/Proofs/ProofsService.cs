using Core.V1;
using Edge.CoreSim.Admin;
using Edge.CoreSim.Blobs;
using Edge.CoreSim.Contract;
using Edge.CoreSim.FaultInjection;
using Edge.CoreSim.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.CoreSim.Proofs;

internal sealed class ProofsService(
    DeliveryLedger<DeliverProofRequest, DeliverProofResponse> ledger,
    BlobStore blobs,
    FaultState faults,
    CoreCounters counters,
    IOptions<CoreSimulatorOptions> options,
    TimeProvider timeProvider,
    ILogger<ProofsService> logger) : Core.V1.Proofs.ProofsBase
{
    public override async Task<DeliverProofResponse> DeliverProof(DeliverProofRequest request, ServerCallContext context)
    {
        Validate(request);

        var set = faults.Current;
        if (ledger.Find(request.ProofId) is null && !set.RejectsProof(request.ProofId) && options.Value.RequireUploadedBlobs)
        {
            var missing = ReferencedBlobs(request).Where(digest => !blobs.Contains(digest)).ToArray();
            if (missing.Length > 0)
            {
                ProofsLog.BlobsMissing(logger, request.ProofId, missing.Length);
                CoreErrors.BlobsMissing(missing);
            }
        }

        var (entry, recorded) = (await ledger.RecordAsync([request], proof => Decide(proof, set)))[0];
        counters.ProofDelivered(request.ProofId);

        var answer = entry.Answer;
        if (!recorded && answer.Outcome == DeliveryOutcome.Accepted)
        {
            answer = answer.Clone();
            answer.Outcome = DeliveryOutcome.Duplicate;
        }

        if (recorded && request.PhotoReuse is { } reuse)
        {
            ProofsLog.PhotoReuseFlagged(logger, request.ProofId, reuse.Kind, reuse.EarlierProofId, reuse.Distance);
        }

        ProofsLog.Answered(logger, request.ProofId, answer.Outcome);
        return answer;
    }

    private DeliverProofResponse Decide(DeliverProofRequest proof, FaultSet set)
    {
        var answer = new DeliverProofResponse
        {
            ProofId = proof.ProofId,
            Outcome = DeliveryOutcome.Accepted,
            RecordedAt = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
        };
        if (set.RejectsProof(proof.ProofId))
        {
            answer.Outcome = DeliveryOutcome.Rejected;
            answer.Reason = set.RejectReason;
        }

        return answer;
    }

    private static IEnumerable<string> ReferencedBlobs(DeliverProofRequest proof)
        => proof.Photos
            .SelectMany(photo => new[] { photo.StoredSha256, photo.ThumbnailSha256 })
            .Where(digest => digest.Length > 0)
            .Distinct(StringComparer.Ordinal);

    private static void Validate(DeliverProofRequest proof)
    {
        var checks = new FieldChecks();
        checks.Id("proof_id", proof.ProofId);
        checks.Required("device_id", proof.DeviceId);
        checks.Required("driver_id", proof.DriverId);
        checks.Required("route_id", proof.RouteId);
        checks.Required("stop_id", proof.StopId);
        checks.Required("delivered_at", proof.DeliveredAt);
        if (proof.PackageIds.Count == 0)
        {
            checks.Add("package_ids", "at least one package");
        }

        for (var i = 0; i < proof.PackageIds.Count; i++)
        {
            checks.Required($"package_ids[{i}]", proof.PackageIds[i]);
        }

        if (proof.Location is { } location)
        {
            checks.Location("location", location.Latitude, location.Longitude, location.AccuracyMeters);
        }

        for (var i = 0; i < proof.Photos.Count; i++)
        {
            checks.Sha256($"photos[{i}].stored_sha256", proof.Photos[i].StoredSha256);
            if (proof.Photos[i].ThumbnailSha256.Length > 0)
            {
                checks.Sha256($"photos[{i}].thumbnail_sha256", proof.Photos[i].ThumbnailSha256);
            }

            if (proof.Photos[i].DeviceSha256.Length > 0)
            {
                checks.Sha256($"photos[{i}].device_sha256", proof.Photos[i].DeviceSha256);
            }
        }

        if (proof.PhotoWithheld)
        {
            checks.Required("photo_withheld_reason", proof.PhotoWithheldReason);
        }
        else if (proof.Photos.Count == 0)
        {
            checks.Add("photos", "at least one photo, unless photo_withheld is true");
        }

        if (proof.PhotoReuse is { } reuse)
        {
            if (reuse.Kind is not (PhotoReuse.Types.Kind.Reused or PhotoReuse.Types.Kind.RepeatDelivery))
            {
                checks.Add("photo_reuse.kind", "REUSED or REPEAT_DELIVERY");
            }

            checks.Id("photo_reuse.earlier_proof_id", reuse.EarlierProofId);
            checks.Required("photo_reuse.earlier_device_id", reuse.EarlierDeviceId);
            checks.Required("photo_reuse.earlier_stop_id", reuse.EarlierStopId);
            if (reuse.Distance is < 0 or > 64 || reuse.Distance > reuse.Threshold)
            {
                checks.Add("photo_reuse.distance", "0-64 and at most the threshold");
            }

            if (reuse.PhotoSha256.Length > 0 && !proof.Photos.Any(photo => photo.StoredSha256 == reuse.PhotoSha256))
            {
                checks.Add("photo_reuse.photo_sha256", "the stored_sha256 of one of the proof's photos");
            }
        }

        checks.ThrowIfInvalid("Invalid proof.");
    }
}

using Edge.Gateway.Scans;
using Google.Protobuf.WellKnownTypes;
using CoreV1 = global::Core.V1;

namespace Edge.Gateway.Proofs;

/// <summary>
/// Between the proof model and the contracts' messages: the receipt a device sees (<c>edge.v1.ProofReceipt</c>) and the
/// request the core gets (<c>core.v1.DeliverProofRequest</c>). The way back is for records of earlier versions, which
/// stored the messages themselves.
/// </summary>
internal static class ProofWire
{
    public static V1.ProofReceipt ToWire(ReceiptRecord receipt) => new()
    {
        ProofId = receipt.ProofId,
        Status = (V1.ProofStatus)(int)receipt.Status,
        Reason = receipt.Reason,
        UpdatedAt = Timestamp.FromDateTimeOffset(receipt.UpdatedAt),
        PhotoWithheld = receipt.PhotoWithheld,
        PhotoWithheldReason = receipt.PhotoWithheldReason,
        OffSite = receipt.OffSite,
        PhotoReused = receipt.PhotoReused,
        PhotoReuseReason = receipt.PhotoReuseReason,
        RepeatDelivery = receipt.RepeatDelivery,
    };

    public static ReceiptRecord FromWire(V1.ProofReceipt receipt)
        => new(receipt.ProofId,
            receipt.Status == V1.ProofStatus.Unspecified ? ProofState.Received : (ProofState)(int)receipt.Status,
            receipt.Reason,
            receipt.UpdatedAt?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch,
            receipt.PhotoWithheld,
            receipt.PhotoWithheldReason,
            receipt.OffSite,
            receipt.PhotoReused,
            receipt.PhotoReuseReason,
            receipt.RepeatDelivery);

    public static CoreV1.DeliverProofRequest ToCore(ProofContent proof)
    {
        var request = new CoreV1.DeliverProofRequest
        {
            ProofId = proof.ProofId,
            DeviceId = proof.DeviceId,
            DriverId = proof.DriverId,
            RouteId = proof.RouteId,
            StopId = proof.StopId,
            PackageIds = { proof.PackageIds },
            DeliveredAt = Timestamp.FromDateTimeOffset(proof.DeliveredAt),
            Location = ScanWire.ToCore(proof.Location),
            PlaceLeft = (CoreV1.PlaceLeft)(int)proof.PlaceLeft,
            PhotoWithheld = proof.PhotoWithheld,
            PhotoWithheldReason = proof.PhotoWithheldReason,
            OffSite = proof.OffSite,
            Note = proof.Note,
            GatewayReceivedAt = proof.GatewayReceivedAt is { } receivedAt ? Timestamp.FromDateTimeOffset(receivedAt) : null,
        };
        request.Photos.AddRange(proof.Photos.Select(p => new CoreV1.ProofPhoto
        {
            StoredSha256 = p.StoredSha256,
            ThumbnailSha256 = p.ThumbnailSha256,
            DeviceSha256 = p.DeviceSha256,
            ContentType = p.ContentType,
            FacesChecked = p.FacesChecked,
            FacesBlurred = p.FacesBlurred,
        }));
        if (proof.PhotoReuse is { } reuse)
        {
            request.PhotoReuse = new CoreV1.PhotoReuse
            {
                Kind = (CoreV1.PhotoReuse.Types.Kind)(int)reuse.Kind,
                EarlierProofId = reuse.EarlierProofId,
                EarlierDeviceId = reuse.EarlierDeviceId,
                EarlierRouteId = reuse.EarlierRouteId,
                EarlierStopId = reuse.EarlierStopId,
                EarlierReceivedAt = Timestamp.FromDateTimeOffset(reuse.EarlierReceivedAt),
                Distance = reuse.Distance,
                Threshold = reuse.Threshold,
                PhotoSha256 = reuse.PhotoSha256,
                Matches = reuse.Matches,
            };
        }

        return request;
    }

    public static ProofContent FromCore(CoreV1.DeliverProofRequest request)
        => new(request.ProofId,
            request.DeviceId,
            request.DriverId,
            request.RouteId,
            request.StopId,
            [.. request.PackageIds],
            request.DeliveredAt?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch,
            ScanWire.FromCore(request.Location),
            (ParcelPlace)(int)request.PlaceLeft,
            [.. request.Photos.Select(p => new ForwardedPhoto(p.StoredSha256, p.ThumbnailSha256, p.DeviceSha256, p.ContentType, p.FacesChecked, p.FacesBlurred))],
            request.PhotoWithheld,
            request.PhotoWithheldReason,
            request.OffSite,
            request.Note,
            request.GatewayReceivedAt?.ToDateTimeOffset(),
            request.PhotoReuse is { Kind: not CoreV1.PhotoReuse.Types.Kind.Unspecified } reuse
                ? new PhotoReuseEvidence((PhotoReuseKind)(int)reuse.Kind, reuse.EarlierProofId, reuse.EarlierDeviceId, reuse.EarlierRouteId,
                    reuse.EarlierStopId, reuse.EarlierReceivedAt?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch, reuse.Distance, reuse.Threshold,
                    reuse.PhotoSha256, reuse.Matches)
                : null);
}

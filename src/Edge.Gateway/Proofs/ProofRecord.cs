using System.Text.Json;
using System.Text.Json.Serialization;
using Edge.Gateway.Scans;

namespace Edge.Gateway.Proofs;

/// <summary>
/// A proof as the gateway keeps it: whose it is, its receipt and what is forwarded to the core. The gateway's own model,
/// persisted as JSON (<see cref="ProofRecordCodec"/>), so the device contract and the core contract can change without
/// a data migration; <see cref="ProofWire"/> maps it to and from the messages at the services' edge.
/// </summary>
/// <param name="DeviceId">The device that submitted it.</param>
/// <param name="Receipt">Its current status, as the device sees it.</param>
/// <param name="Proof">What is forwarded to the core.</param>
/// <param name="PhotoDigests">Device digests of the photos forwarded with it (empty when withheld).</param>
internal sealed record ProofRecord(string DeviceId, ReceiptRecord Receipt, ProofContent Proof, IReadOnlyList<string> PhotoDigests);

/// <summary>Where a proof is on its way to the core.</summary>
internal enum ProofState
{
    /// <summary>Stored by the gateway; on its way to the core.</summary>
    Received = 1,

    /// <summary>The core has it.</summary>
    Committed = 2,

    /// <summary>The core (or the gateway, for a photo it no longer holds) refused it for good.</summary>
    Rejected = 3,
}

/// <summary>A proof's status as its device sees it.</summary>
/// <param name="ProofId">The device-made proof id.</param>
/// <param name="Status">Received, committed or rejected.</param>
/// <param name="Reason">Why it was rejected; empty otherwise.</param>
/// <param name="UpdatedAt">When the status last changed.</param>
/// <param name="PhotoWithheld">The gateway withheld the photos (confidential stop or customer opt-out).</param>
/// <param name="PhotoWithheldReason">Why, when withheld.</param>
/// <param name="OffSite">The device was farther from the stop than allowed.</param>
/// <param name="PhotoReused">A photo matches one of an earlier proof for another stop.</param>
/// <param name="PhotoReuseReason">Why it was flagged, in general terms.</param>
/// <param name="RepeatDelivery">A photo matches one of an earlier delivery to the same stop or address.</param>
internal sealed record ReceiptRecord(
    string ProofId,
    ProofState Status,
    string Reason,
    DateTimeOffset UpdatedAt,
    bool PhotoWithheld = false,
    string PhotoWithheldReason = "",
    bool OffSite = false,
    bool PhotoReused = false,
    string PhotoReuseReason = "",
    bool RepeatDelivery = false)
{
    /// <summary>Committed or rejected: nothing more will change.</summary>
    [JsonIgnore]
    public bool IsFinal => Status is ProofState.Committed or ProofState.Rejected;
}

/// <summary>What a proof tells the core: the device's proof, who sent it, and what the gateway found.</summary>
/// <param name="ProofId">The device-made proof id: the idempotency key at the core.</param>
/// <param name="DeviceId">The device that sent it (from its token).</param>
/// <param name="DriverId">The driver signed in on the device (from its token).</param>
/// <param name="RouteId">The route.</param>
/// <param name="StopId">The stop the proof closes.</param>
/// <param name="PackageIds">The packages delivered.</param>
/// <param name="DeliveredAt">By the device's clock.</param>
/// <param name="Location">Where the device was; null when it had no fix.</param>
/// <param name="PlaceLeft">Where the parcels were left.</param>
/// <param name="Photos">The stored photos forwarded with it (empty when withheld).</param>
/// <param name="PhotoWithheld">No photo is forwarded on purpose.</param>
/// <param name="PhotoWithheldReason">Why, when withheld.</param>
/// <param name="OffSite">The device was farther from the stop than allowed.</param>
/// <param name="Note">Free text from the driver.</param>
/// <param name="GatewayReceivedAt">When the gateway first received it; null only in records of early versions.</param>
/// <param name="PhotoReuse">The evidence when a photo matches one of an earlier proof; null otherwise.</param>
internal sealed record ProofContent(
    string ProofId,
    string DeviceId,
    string DriverId,
    string RouteId,
    string StopId,
    IReadOnlyList<string> PackageIds,
    DateTimeOffset DeliveredAt,
    DevicePosition? Location,
    ParcelPlace PlaceLeft,
    IReadOnlyList<ForwardedPhoto> Photos,
    bool PhotoWithheld,
    string PhotoWithheldReason,
    bool OffSite,
    string Note,
    DateTimeOffset? GatewayReceivedAt,
    PhotoReuseEvidence? PhotoReuse = null);

/// <summary>Where the driver left the parcels (the values of <c>PlaceLeft</c> in both contracts).</summary>
internal enum ParcelPlace
{
    Unspecified = 0,
    FrontDoor = 1,
    BackDoor = 2,
    Mailroom = 3,
    HandedToResident = 4,
    Neighbour = 5,
    Garage = 6,
    Locker = 7,
    Other = 8,
}

/// <summary>A stored photo forwarded with a proof.</summary>
/// <param name="StoredSha256">SHA-256 of the stored photo (without its metadata).</param>
/// <param name="ThumbnailSha256">SHA-256 of its thumbnail; empty when there is none.</param>
/// <param name="DeviceSha256">SHA-256 of the bytes the device sent.</param>
/// <param name="ContentType">Media type of the stored photo.</param>
/// <param name="FacesChecked">Face redaction ran on it (false in records of earlier versions).</param>
/// <param name="FacesBlurred">Faces blurred in it.</param>
internal sealed record ForwardedPhoto(
    string StoredSha256, string ThumbnailSha256, string DeviceSha256, string ContentType, bool FacesChecked = false, int FacesBlurred = 0);

/// <summary>What a match of a proof's photo with a photo of an earlier proof is.</summary>
internal enum PhotoReuseKind
{
    /// <summary>The earlier proof was for another stop and another address.</summary>
    Reused = 1,

    /// <summary>The earlier proof was for the same stop or the same address.</summary>
    RepeatDelivery = 2,
}

/// <summary>The nearest earlier proof whose photo matches one of this proof's (see docs/photo-reuse.md).</summary>
/// <param name="Kind">Reuse or repeat delivery.</param>
/// <param name="EarlierProofId">The earlier proof.</param>
/// <param name="EarlierDeviceId">Its device.</param>
/// <param name="EarlierRouteId">Its route.</param>
/// <param name="EarlierStopId">Its stop.</param>
/// <param name="EarlierReceivedAt">When the gateway received it.</param>
/// <param name="Distance">Hamming distance of the two photos' perceptual hashes.</param>
/// <param name="Threshold">The largest distance that matched when they were compared.</param>
/// <param name="PhotoSha256">Stored digest of this proof's photo that matched.</param>
/// <param name="Matches">Earlier proofs that matched in all.</param>
internal sealed record PhotoReuseEvidence(
    PhotoReuseKind Kind,
    string EarlierProofId,
    string EarlierDeviceId,
    string EarlierRouteId,
    string EarlierStopId,
    DateTimeOffset EarlierReceivedAt,
    int Distance,
    int Threshold,
    string PhotoSha256,
    int Matches);

/// <summary>
/// Reads and writes a proof's receipt and content as stored (JSON; records written by earlier versions as the
/// <c>edge.v1.ProofReceipt</c> and <c>core.v1.DeliverProofRequest</c> messages are read too).
/// </summary>
internal static class ProofRecordCodec
{
    public static byte[] Encode(ReceiptRecord receipt) => JsonSerializer.SerializeToUtf8Bytes(receipt, ProofRecordJson.Default.ReceiptRecord);

    public static byte[] Encode(ProofContent proof) => JsonSerializer.SerializeToUtf8Bytes(proof, ProofRecordJson.Default.ProofContent);

    public static ReceiptRecord DecodeReceipt(ReadOnlySpan<byte> bytes)
        => IsJson(bytes)
            ? JsonSerializer.Deserialize(bytes, ProofRecordJson.Default.ReceiptRecord) ?? throw new InvalidDataException("Empty receipt record.")
            : ProofWire.FromWire(V1.ProofReceipt.Parser.ParseFrom(bytes));

    public static ProofContent DecodeProof(ReadOnlySpan<byte> bytes)
        => IsJson(bytes)
            ? JsonSerializer.Deserialize(bytes, ProofRecordJson.Default.ProofContent) ?? throw new InvalidDataException("Empty proof record.")
            : ProofWire.FromCore(global::Core.V1.DeliverProofRequest.Parser.ParseFrom(bytes));

    // A message of these kinds never starts with '{' (field 15, wire type 3: a group, which proto3 does not use).
    private static bool IsJson(ReadOnlySpan<byte> bytes) => bytes.Length > 0 && bytes[0] == (byte)'{';
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ReceiptRecord))]
[JsonSerializable(typeof(ProofContent))]
internal sealed partial class ProofRecordJson : JsonSerializerContext;

namespace Edge.Client;

/// <summary>A proof of delivery to submit. The client gives it its proof id and uploads its photos first.</summary>
public sealed class ProofOfDelivery
{
    /// <summary>The route; must be one the device's token names. Required.</summary>
    public required string RouteId { get; init; }

    /// <summary>The stop. Required.</summary>
    public required string StopId { get; init; }

    /// <summary>Manifest ids of the packages delivered at this stop. At least one.</summary>
    public required IReadOnlyList<string> PackageIds { get; init; }

    /// <summary>When the packages were delivered, by the device's clock. Default: now.</summary>
    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>Where the device was.</summary>
    public DeviceLocation? Location { get; init; }

    /// <summary>Where the packages were left.</summary>
    public PlaceLeft PlaceLeft { get; init; }

    /// <summary>
    /// Paths of the delivery photos (JPEG, PNG or HEIC). They are copied into the outbox (encrypted) when the proof is
    /// queued. Once the core has committed the proof, the SDK deletes these files too (a photo of a customer's door,
    /// with its GPS, must not stay on the device), unless <see cref="EdgeClientOptions.KeepOriginalPhotos"/> is set; a
    /// file that no longer holds the same photo is left alone. The app may also delete them itself after queueing.
    /// </summary>
    public IReadOnlyList<string> PhotoPaths { get; init; } = [];

    /// <summary>Free text from the driver, such as the neighbour's name.</summary>
    public string Note { get; init; } = "";
}

/// <summary>Where packages were left.</summary>
public enum PlaceLeft
{
    /// <summary>Not said.</summary>
    Unspecified = 0,

    /// <summary>At the front door.</summary>
    FrontDoor = 1,

    /// <summary>At the back door.</summary>
    BackDoor = 2,

    /// <summary>In the mailroom.</summary>
    Mailroom = 3,

    /// <summary>Handed to a resident.</summary>
    HandedToResident = 4,

    /// <summary>With a neighbour.</summary>
    Neighbour = 5,

    /// <summary>In the garage.</summary>
    Garage = 6,

    /// <summary>In a locker.</summary>
    Locker = 7,

    /// <summary>Somewhere else (see the note).</summary>
    Other = 8,
}

/// <summary>Where a proof of delivery stands.</summary>
public enum ProofStatus
{
    /// <summary>Not known.</summary>
    Unspecified = 0,

    /// <summary>The gateway stored it; it is on its way to the core. The device keeps its copy.</summary>
    Received = 1,

    /// <summary>
    /// The core has it. The device's copy was removed from the outbox, with the photo files the app gave (see
    /// <see cref="ProofOfDelivery.PhotoPaths"/>).
    /// </summary>
    Committed = 2,

    /// <summary>The core refused it for good; see <see cref="ProofReceipt.Reason"/>. It was removed from the outbox.</summary>
    Rejected = 3,
}

/// <summary>A change in a proof's status.</summary>
public sealed class ProofReceipt
{
    /// <summary>The proof's id, as returned by <see cref="EdgeClient.SubmitProofAsync"/>.</summary>
    public required string ProofId { get; init; }

    /// <summary>The new status.</summary>
    public ProofStatus Status { get; init; }

    /// <summary>Why the proof was rejected; empty otherwise.</summary>
    public string Reason { get; init; } = "";

    /// <summary>When the status changed, by the gateway's clock; null when not reported.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>True when the gateway withheld the photos (a confidential stop or a customer's opt-out).</summary>
    public bool PhotoWithheld { get; init; }

    /// <summary>Why the photos were withheld.</summary>
    public string PhotoWithheldReason { get; init; } = "";

    /// <summary>True when the device was farther from the stop than allowed; the proof was accepted and flagged.</summary>
    public bool OffSite { get; init; }

    /// <summary>
    /// Set when the proof was rejected because the gateway refused one of its photos (as
    /// <see cref="PhotoRejectedException.Reason"/> says for a direct upload): the photo must be taken again and the proof
    /// made again with it. Null otherwise.
    /// </summary>
    public PhotoRejectionReason? PhotoRejection { get; init; }
}

/// <summary>What the outbox still holds.</summary>
/// <param name="Scans">Scans not yet answered by the gateway.</param>
/// <param name="Proofs">Proofs not yet committed by the core nor rejected.</param>
/// <param name="Photos">Photo copies kept for those proofs.</param>
public readonly record struct OutboxStatus(int Scans, int Proofs, int Photos)
{
    /// <summary>Files that could not be opened and were moved aside (see <see cref="EdgeClient.OutboxFileDamaged"/>).</summary>
    public int Damaged { get; init; }
}

namespace Edge.Gateway.Diagnostics;

/// <summary>
/// Every logging event id of the gateway, one range per component, so that no two messages share an id and an
/// operator can filter on one. Each <c>[LoggerMessage]</c> takes its id from here; a test fails on any duplicate.
/// Add a message by adding a constant at the end of its component's range; never reuse or renumber one.
/// </summary>
internal static class EventIds
{
    // Uploads: 1-99
    public const int UploadStarted = 1;
    public const int UploadCompleted = 2;
    public const int UploadDedupeHit = 3;
    public const int UploadChunkRefused = 4;
    public const int UploadDigestMismatch = 5;
    public const int UploadTakenOver = 6;
    public const int UploadPhotoRejected = 7;
    public const int UploadExpired = 8;
    public const int UploadSweepFailed = 9;
    public const int UploadStreamEndedEarly = 10;
    public const int UploadStrandedCompleted = 11;
    public const int UploadStrandedFailed = 12;
    public const int UploadConnectionLost = 13;

    // Imaging (photo pipeline): 100-199
    public const int PhotoProcessed = 100;
    public const int PhotoRejected = 101;
    public const int PhotoDecoderRefused = 102;
    public const int PhotoPipelineBusy = 103;
    public const int PhotoDecoderLimitsApplied = 104;
    public const int PhotoReencodedForFaces = 105;
    public const int FaceBlockRedactionUnavailable = 106;
    public const int PhotoAllocatorDefaults = 107;

    // Core connection: 200-299
    public const int CoreEmbeddedSimulatorStarted = 200;
    public const int CoreChannelReplaced = 201;

    // Manifests: 300-399
    public const int ManifestFetched = 300;
    public const int ManifestFilledByPeer = 301;
    public const int ManifestServingStale = 302;
    public const int ManifestNeverFetched = 303;
    public const int ManifestVersionChanged = 304;
    public const int ManifestWatchConnected = 305;
    public const int ManifestWatchLost = 306;
    public const int ManifestAnnouncementFailed = 307;
    public const int ManifestWatchOpened = 308;

    // Proofs: 400-499
    public const int ProofReceived = 400;
    public const int ProofRefused = 401;
    public const int ProofWithheldPhotoDeleted = 402;
    public const int ProofPublishFailed = 403;
    public const int ProofIdTaken = 404;
    public const int ProofPhotoReuseMatched = 410;
    public const int ProofPhotoReuseCheckFailed = 411;
    public const int ProofPhotoPrintsExpired = 412;
    public const int ProofPhotoPrintSweepFailed = 413;

    // Forwarding: 500-599
    public const int ForwardScansForwarded = 500;
    public const int ForwardProofCommitted = 501;
    public const int ForwardDeadLettered = 502;
    public const int ForwardWillRetry = 503;
    public const int ForwardBreakerOpened = 504;
    public const int ForwardBreakerClosed = 505;
    public const int ForwarderFailed = 506;
    public const int ForwardProofRecordMissing = 507;
    // 508: photo released (now BlobReleased, 700).
    public const int ForwardSweepFailed = 509;
    public const int ForwardBlobUploaded = 510;
    public const int ForwardReplicaLeaseAcquired = 511;
    public const int ForwardReplicaIdInUse = 512;
    public const int ForwardReplicaLeaseLost = 513;
    public const int ForwardOwnEntriesReleased = 514;
    public const int ForwardBacklogMeasureFailed = 515;

    // Scans: 600-699
    public const int ScanRecorded = 600;
    public const int ScanRejected = 601;

    // Blobs (stored photos): 700-799
    public const int BlobReleased = 700;
    public const int BlobUnreferencedFileDeleted = 701;
    public const int BlobSweepFailed = 702;

    // Hosting (every call): 800-899
    public const int CallUnexpectedError = 800;
    public const int CallStatusMessageBounded = 801;
    public const int CallStateStoreUnavailable = 802;
    public const int AcceptExhausted = 803;
    public const int AcceptRecovered = 804;
    public const int CallDescriptorsExhausted = 805;

    // Limits (per-device budgets, connections): 900-999
    public const int LimitRefused = 900;
    public const int ConnectionLimitLowered = 901;
    public const int StreamLeasesNotRenewed = 902;

    // Security (tokens, transport): 1000-1099
    public const int SecurityRevocationRefreshFailed = 1000;

    // State store (Redis persistence): 1100-1199
    public const int RedisDurabilityVerified = 1100;
    public const int RedisNotDurable = 1101;
    public const int RedisDurabilityUnknown = 1102;
    public const int RedisDurabilityRefused = 1103;
}

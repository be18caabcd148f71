namespace Edge.CoreSim.Diagnostics;

/// <summary>
/// Every logging event id of the core simulator, one range per component, so that no two messages share an id.
/// Each <c>[LoggerMessage]</c> takes its id from here; a test fails on any duplicate. Add a message by adding a
/// constant at the end of its component's range; never reuse or renumber one.
/// </summary>
internal static class EventIds
{
    // Storage: 100-199
    public const int StorageTruncatingLogTail = 100;
    public const int StorageLedgerLoaded = 101;
    public const int StorageDataDirectory = 102;

    // Fault injection: 200-299
    public const int FaultInjected = 200;
    public const int FaultReplaced = 201;

    // Blobs: 300-399
    public const int BlobStored = 300;
    public const int BlobAlreadyPresent = 301;
    public const int BlobDigestMismatch = 302;

    // Proofs: 400-499
    public const int ProofAnswered = 400;
    public const int ProofBlobsMissing = 401;
    public const int ProofPhotoReuseFlagged = 402;

    // Scans: 500-599
    public const int ScanAnswered = 500;

    // Manifests: 600-699
    public const int ManifestLoaded = 600;
    public const int ManifestPublished = 601;
    public const int ManifestWatcherOpened = 602;
}

using Edge.Gateway.Diagnostics;
namespace Edge.Gateway.Proofs.Reuse;

internal static partial class PhotoReuseLog
{
    [LoggerMessage(EventIds.ProofPhotoReuseMatched, LogLevel.Information, "Proof {ProofId} of device {DeviceId}: a photo matches proof {EarlierProofId} of device {EarlierDeviceId} ({Kind}, distance {Distance}).")]
    public static partial void Matched(ILogger logger, string proofId, string deviceId, PhotoReuseKind kind, string earlierProofId, string earlierDeviceId, int distance);

    [LoggerMessage(EventIds.ProofPhotoReuseCheckFailed, LogLevel.Warning, "Photo reuse check of proof {ProofId} failed; the proof goes on unflagged.")]
    public static partial void CheckFailed(ILogger logger, string proofId, Exception exception);

    [LoggerMessage(EventIds.ProofPhotoPrintsExpired, LogLevel.Debug, "{Count} photo prints older than {Before} removed from the reuse index.")]
    public static partial void Expired(ILogger logger, int count, DateTimeOffset before);

    [LoggerMessage(EventIds.ProofPhotoPrintSweepFailed, LogLevel.Warning, "Removing expired photo prints failed; retried at the next sweep.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);
}

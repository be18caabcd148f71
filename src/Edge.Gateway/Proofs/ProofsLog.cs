using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Proofs;

internal static partial class ProofsLog
{
    [LoggerMessage(EventIds.ProofReceived, LogLevel.Debug, "Proof {ProofId} of device {DeviceId} received ({Photos} photos, withheld {Withheld}, off site {OffSite}).")]
    public static partial void Received(ILogger logger, string proofId, string deviceId, int photos, bool withheld, bool offSite);

    [LoggerMessage(EventIds.ProofRefused, LogLevel.Information, "Proof {ProofId} of device {DeviceId} refused: {Code} {Reason}.")]
    public static partial void Refused(ILogger logger, string proofId, string deviceId, Grpc.Core.StatusCode code, string reason);

    [LoggerMessage(EventIds.ProofWithheldPhotoDeleted, LogLevel.Information, "Proof {ProofId}: withheld photo {Sha256} deleted.")]
    public static partial void WithheldPhotoDeleted(ILogger logger, string proofId, string sha256);

    [LoggerMessage(EventIds.ProofPublishFailed, LogLevel.Warning, "Publishing the receipt of proof {ProofId} failed; watchers catch up by replay.")]
    public static partial void PublishFailed(ILogger logger, string proofId, Exception exception);

    [LoggerMessage(EventIds.ProofIdTaken, LogLevel.Information, "Proof {ProofId} of device {DeviceId} refused: the id is held by device {OwnerId}.")]
    public static partial void ProofIdTaken(ILogger logger, string proofId, string deviceId, string ownerId);
}

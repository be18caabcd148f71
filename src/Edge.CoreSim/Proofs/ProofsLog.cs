using Edge.CoreSim.Diagnostics;
using Core.V1;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Proofs;

internal static partial class ProofsLog
{
    [LoggerMessage(EventId = EventIds.ProofAnswered, Level = LogLevel.Debug, Message = "Proof {ProofId} answered {Outcome}.")]
    public static partial void Answered(ILogger logger, string proofId, DeliveryOutcome outcome);

    [LoggerMessage(EventId = EventIds.ProofBlobsMissing, Level = LogLevel.Information, Message = "Proof {ProofId} names {Count} blob(s) the core does not hold.")]
    public static partial void BlobsMissing(ILogger logger, string proofId, int count);

    [LoggerMessage(EventId = EventIds.ProofPhotoReuseFlagged, Level = LogLevel.Information, Message = "Proof {ProofId} recorded with a photo flagged {Kind}: matches proof {EarlierProofId} at distance {Distance}.")]
    public static partial void PhotoReuseFlagged(ILogger logger, string proofId, PhotoReuse.Types.Kind kind, string earlierProofId, int distance);
}

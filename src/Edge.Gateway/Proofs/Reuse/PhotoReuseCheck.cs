using System.Diagnostics;
using System.Globalization;
using Edge.Gateway.Diagnostics;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>
/// Compares the photos of a proof being received with the photos of other proofs of the last
/// <see cref="PhotoReuseOptions.Window"/> (any device) and records them for later proofs. A match at another stop and
/// address is reuse; at the same stop or address a repeat delivery; a print of the same proof (a retry) is no match.
/// The evidence goes with the proof to the core; the device's receipt says only what was found, in general terms.
/// </summary>
/// <remarks>
/// The check is a signal, not a gate: when the index cannot be reached the proof goes on unflagged (logged and
/// counted as <c>failed</c>). A print recorded for a proof whose intake then fails stays until it expires; the device
/// retries the same proof id, which is not a match with itself.
/// </remarks>
internal sealed class PhotoReuseCheck(
    IPhotoPrintIndex index,
    StopPlaces places,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<PhotoReuseOptions> options,
    ILogger<PhotoReuseCheck> logger)
{
    /// <summary>
    /// Checks <paramref name="proof"/>'s photos, whose perceptual hashes (16 hex characters each, empty when unknown)
    /// are <paramref name="perceptualHashes"/> in the order of <c>proof.Photos</c>; the finding carries the evidence
    /// for the core when one matches.
    /// </summary>
    public async Task<PhotoReuseFinding> CheckAsync(ProofContent proof, IReadOnlyList<string> perceptualHashes, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled || proof.PhotoWithheld || proof.Photos.Count == 0)
        {
            return PhotoReuseFinding.None;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var finding = await CompareAndRecordAsync(proof, perceptualHashes, cancellationToken);
            metrics.PhotoReuseChecked(finding.Outcome, Stopwatch.GetElapsedTime(started));
            return finding;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            PhotoReuseLog.CheckFailed(logger, proof.ProofId, e);
            metrics.PhotoReuseChecked("failed", Stopwatch.GetElapsedTime(started));
            return PhotoReuseFinding.None;
        }
    }

    private async Task<PhotoReuseFinding> CompareAndRecordAsync(ProofContent proof, IReadOnlyList<string> perceptualHashes, CancellationToken cancellationToken)
    {
        var place = await places.FindAsync(proof.RouteId, proof.StopId, cancellationToken);
        var receivedAt = proof.GatewayReceivedAt ?? timeProvider.GetUtcNow();
        var since = receivedAt - options.Value.Window;
        var prints = new List<PhotoPrint>();
        var earlier = new HashSet<(string, string)>();
        (PhotoPrintMatch Match, string Photo)? reused = null;
        (PhotoPrintMatch Match, string Photo)? repeat = null;
        for (var i = 0; i < proof.Photos.Count && i < perceptualHashes.Count; i++)
        {
            if (!ulong.TryParse(perceptualHashes[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash) || HashBands.IsFeatureless(hash))
            {
                continue;
            }

            var print = new PhotoPrint(hash, proof.ProofId, proof.DeviceId, proof.RouteId, proof.StopId, place, receivedAt);
            prints.Add(print);
            foreach (var match in await index.FindAsync(hash, since, cancellationToken))
            {
                if (match.Print.IsSameProof(print))
                {
                    continue;
                }

                earlier.Add((match.Print.ProofId, match.Print.DeviceId));
                ref var best = ref match.Print.IsSamePlace(print) ? ref repeat : ref reused;
                if (best is null || Nearer(match, best.Value.Match))
                {
                    best = (match, proof.Photos[i].StoredSha256);
                }
            }
        }

        await index.AddAsync(prints, cancellationToken);
        if ((reused ?? repeat) is not { } found)
        {
            return PhotoReuseFinding.None;
        }

        var kind = reused is not null ? PhotoReuseKind.Reused : PhotoReuseKind.RepeatDelivery;
        var evidence = found.Match.Print;
        PhotoReuseLog.Matched(logger, proof.ProofId, proof.DeviceId, kind, evidence.ProofId, evidence.DeviceId, found.Match.Distance);
        return (kind == PhotoReuseKind.Reused ? PhotoReuseFinding.Reuse : PhotoReuseFinding.Repeat) with
        {
            Evidence = new PhotoReuseEvidence(kind, evidence.ProofId, evidence.DeviceId, evidence.RouteId, evidence.StopId, evidence.ReceivedAt,
                found.Match.Distance, options.Value.MaxDistance, found.Photo, earlier.Count),
        };
    }

    /// <summary>Nearer first; at the same distance, the more recent proof.</summary>
    private static bool Nearer(PhotoPrintMatch candidate, PhotoPrintMatch best)
        => candidate.Distance < best.Distance || (candidate.Distance == best.Distance && candidate.Print.ReceivedAt > best.Print.ReceivedAt);
}

/// <summary>
/// What the reuse check found: for the device, whether a photo was flagged and why, in general terms; for the core,
/// the evidence.
/// </summary>
internal sealed record PhotoReuseFinding(bool PhotoReused, bool RepeatDelivery, string Reason, string Outcome)
{
    /// <summary>The nearest match, for the core; null when nothing matched.</summary>
    public PhotoReuseEvidence? Evidence { get; init; }

    public static PhotoReuseFinding None { get; } = new(false, false, string.Empty, "none");

    public static PhotoReuseFinding Reuse { get; } = new(true, false,
        "a photo matches one sent with an earlier proof for another stop; the proof is accepted and flagged for review", "reused");

    public static PhotoReuseFinding Repeat { get; } = new(false, true,
        "a photo matches one sent with an earlier delivery to this stop or address", "repeat_delivery");

    /// <summary>The receipt with its reuse fields set.</summary>
    public ReceiptRecord ApplyTo(ReceiptRecord receipt)
        => receipt with { PhotoReused = PhotoReused, RepeatDelivery = RepeatDelivery, PhotoReuseReason = Reason };

    /// <summary>The proof with its evidence set.</summary>
    public ProofContent ApplyTo(ProofContent proof) => proof with { PhotoReuse = Evidence };
}

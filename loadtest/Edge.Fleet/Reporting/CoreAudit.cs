using Core.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.Fleet.Reporting;

/// <summary>
/// Asks the core simulator's Admin service what it holds and compares it with what the devices sent: every proof and
/// every scan recorded exactly once, each proof as the device made it (route, stop, packages, the photo's digest or no
/// photo), nothing the devices did not send (when the core started empty with this run).
/// </summary>
internal static class CoreAudit
{
    public static async Task<AuditResult> RunAsync(Uri core, FleetStats stats, bool coreStartedEmpty)
    {
        using var channel = GrpcChannel.ForAddress(core);
        var admin = new Admin.AdminClient(channel);
        var proofs = await admin.ListProofsAsync(new Empty());
        var scans = await admin.ListScansAsync(new Empty());
        var counters = await admin.GetCountersAsync(new Empty());
        var result = new AuditResult();

        var sent = stats.Proofs().ToDictionary(p => p.ProofId, StringComparer.Ordinal);
        var accepted = proofs.AcceptedProofIds.ToList();
        var acceptedSet = accepted.ToHashSet(StringComparer.Ordinal);
        result.ProofsAtCore = acceptedSet.Count;
        result.ProofsListedTwice = accepted.Count - acceptedSet.Count;
        result.ProofsRejectedAtCore = proofs.RejectedProofIds.Count(sent.ContainsKey);
        result.ProofsLost = sent.Keys.Count(id => !acceptedSet.Contains(id));
        result.ProofsExtra = coreStartedEmpty ? acceptedSet.Count(id => !sent.ContainsKey(id)) : 0;
        result.ProofRedeliveries = counters.ProofDeliveries.Where(p => sent.ContainsKey(p.Key)).Sum(p => Math.Max(0, p.Value - 1));

        // Each proof as the device made it, and no stop closed twice (a proof queued twice under two ids).
        var stopsClosed = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var mismatches = 0;
        var mismatchExamples = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Parallel.ForEachAsync(sent.Values.Where(p => acceptedSet.Contains(p.ProofId)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (proof, ct) =>
        {
            StoredProof stored;
            try
            {
                stored = await admin.GetProofAsync(new GetProofRequest { ProofId = proof.ProofId }, cancellationToken: ct);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                Interlocked.Increment(ref mismatches);
                mismatchExamples.Enqueue($"{proof.ProofId}: listed but not found");
                return;
            }

            stopsClosed.AddOrUpdate($"{stored.Proof.RouteId}/{stored.Proof.StopId}", 1, (_, n) => n + 1);
            var problem = Compare(proof, stored.Proof);
            if (problem is not null)
            {
                Interlocked.Increment(ref mismatches);
                mismatchExamples.Enqueue($"{proof.ProofId}: {problem}");
            }
        });
        result.ProofsNotAsSent = mismatches;
        result.StopsClosedTwice = stopsClosed.Count(s => s.Value > 1);
        result.Examples.AddRange(mismatchExamples.Take(5));

        var scanIds = stats.ScanIds();
        var acceptedScans = scans.AcceptedEventIds.ToList();
        var acceptedScanSet = acceptedScans.ToHashSet(StringComparer.Ordinal);
        result.ScansAtCore = acceptedScanSet.Count;
        result.ScansListedTwice = acceptedScans.Count - acceptedScanSet.Count;
        result.ScansRejectedAtCore = scans.RejectedEventIds.Count(scanIds.Contains);
        result.ScansLost = scanIds.Count(id => !acceptedScanSet.Contains(id));
        result.ScansExtra = coreStartedEmpty ? acceptedScanSet.Count(id => !scanIds.Contains(id)) : 0;
        result.ScanRedeliveries = counters.ScanDeliveries.Where(s => scanIds.Contains(s.Key)).Sum(s => Math.Max(0, s.Value - 1));
        result.FaultsInjected = counters.FaultsInjected.Values.Sum();

        foreach (var lost in sent.Keys.Where(id => !acceptedSet.Contains(id)).Take(5))
        {
            result.Examples.Add($"proof {lost} ({sent[lost].DeviceId} {sent[lost].StopId}) not at the core");
        }

        return result;
    }

    private static string? Compare(ProofRecord sent, DeliverProofRequest stored)
    {
        if (stored.RouteId != sent.RouteId || stored.StopId != sent.StopId)
        {
            return $"stop {stored.RouteId}/{stored.StopId}, sent {sent.RouteId}/{sent.StopId}";
        }

        if (!stored.PackageIds.Order(StringComparer.Ordinal).SequenceEqual(sent.PackageIds.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            return "packages differ";
        }

        if (sent.PhotoSha256 is null)
        {
            return stored.Photos.Count == 0 && stored.PhotoWithheld ? null : $"{stored.Photos.Count} photos, withheld {stored.PhotoWithheld}; sent none";
        }

        return stored.Photos.Count == 1 && stored.Photos[0].DeviceSha256 == sent.PhotoSha256
            ? null
            : $"photos {string.Join(',', stored.Photos.Select(p => p.DeviceSha256))}, sent {sent.PhotoSha256}";
    }
}

/// <summary>The audit's figures; <see cref="Passed"/> when the core holds exactly what the devices sent.</summary>
internal sealed class AuditResult
{
    public int ProofsAtCore { get; set; }

    public int ProofsListedTwice { get; set; }

    public int ProofsRejectedAtCore { get; set; }

    public int ProofsLost { get; set; }

    public int ProofsExtra { get; set; }

    public int ProofsNotAsSent { get; set; }

    public int StopsClosedTwice { get; set; }

    public int ProofRedeliveries { get; set; }

    public int ScansAtCore { get; set; }

    public int ScansListedTwice { get; set; }

    public int ScansRejectedAtCore { get; set; }

    public int ScansLost { get; set; }

    public int ScansExtra { get; set; }

    public int ScanRedeliveries { get; set; }

    public int FaultsInjected { get; set; }

    public List<string> Examples { get; } = [];

    public bool Passed => ProofsListedTwice == 0 && ProofsRejectedAtCore == 0 && ProofsLost == 0 && ProofsExtra == 0 && ProofsNotAsSent == 0
        && StopsClosedTwice == 0 && ScansListedTwice == 0 && ScansRejectedAtCore == 0 && ScansLost == 0 && ScansExtra == 0;
}

using Core.V1;
using Edge.CoreSim.Admin;
using Edge.CoreSim.Contract;
using Edge.CoreSim.FaultInjection;
using Edge.CoreSim.Storage;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Scans;

internal sealed class ScansService(
    DeliveryLedger<ScanEvent, ScanResult> ledger,
    FaultState faults,
    CoreCounters counters,
    ILogger<ScansService> logger) : Core.V1.Scans.ScansBase
{
    private const int MaxEventsPerBatch = 500;

    public override async Task<DeliverScansResponse> DeliverScans(DeliverScansRequest request, ServerCallContext context)
    {
        if (request.Events.Count is 0 or > MaxEventsPerBatch)
        {
            CoreErrors.InvalidArgument("events", $"a batch holds 1 to {MaxEventsPerBatch} events");
        }

        var results = new ScanResult[request.Events.Count];
        var valid = new List<ScanEvent>(request.Events.Count);
        var validIndexes = new List<int>(request.Events.Count);
        for (var i = 0; i < request.Events.Count; i++)
        {
            var problems = Check(request.Events[i]);
            if (problems.IsValid)
            {
                valid.Add(request.Events[i]);
                validIndexes.Add(i);
            }
            else
            {
                // Not recorded: the same event would fail the same check on every retry anyway.
                results[i] = new ScanResult { EventId = request.Events[i].EventId, Outcome = DeliveryOutcome.Rejected, Reason = $"invalid: {problems.Summary}" };
            }
        }

        var set = faults.Current;
        var recorded = valid.Count == 0 ? [] : await ledger.RecordAsync(valid, scan => Decide(scan, set));
        for (var i = 0; i < recorded.Count; i++)
        {
            var (entry, isNew) = recorded[i];
            var result = entry.Answer;
            if (!isNew && result.Outcome == DeliveryOutcome.Accepted)
            {
                result = new ScanResult { EventId = result.EventId, Outcome = DeliveryOutcome.Duplicate };
            }

            results[validIndexes[i]] = result;
            counters.ScanDelivered(result.EventId);
        }

        var response = new DeliverScansResponse();
        response.Results.AddRange(results);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var accepted = results.Count(r => r.Outcome == DeliveryOutcome.Accepted);
            var duplicates = results.Count(r => r.Outcome == DeliveryOutcome.Duplicate);
            ScansLog.Answered(logger, results.Length, accepted, duplicates, results.Length - accepted - duplicates);
        }

        return response;
    }

    private static ScanResult Decide(ScanEvent scan, FaultSet set)
        => set.RejectsScan(scan.EventId)
            ? new ScanResult { EventId = scan.EventId, Outcome = DeliveryOutcome.Rejected, Reason = set.RejectReason }
            : new ScanResult { EventId = scan.EventId, Outcome = DeliveryOutcome.Accepted };

    private static FieldChecks Check(ScanEvent scan)
    {
        var checks = new FieldChecks();
        checks.Id("event_id", scan.EventId);
        checks.Required("device_id", scan.DeviceId);
        checks.Required("barcode", scan.Barcode);
        checks.Required("scanned_at", scan.ScannedAt);
        if (scan.Type == ScanType.Unspecified)
        {
            checks.Add("type", "required");
        }

        if (scan.Location is { } location)
        {
            checks.Location("location", location.Latitude, location.Longitude, location.AccuracyMeters);
        }

        return checks;
    }
}

using Edge.Gateway.Diagnostics;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Limits;
using Edge.Gateway.Security;
using Edge.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Scans;

/// <summary>The <c>edge.v1.Scans</c> service: takes scan events at least once, dedupes them by event id and queues them for the core.</summary>
[Authorize(Policy = EdgeAuthorization.DevicePolicy)]
internal sealed class ScansService(
    IScanStore store,
    OutboxSignal signal,
    DeviceLimits limits,
    EdgeMetrics metrics,
    TimeProvider timeProvider,
    IOptions<IntakeOptions> options,
    ILogger<ScansService> logger) : V1.Scans.ScansBase
{
    /// <summary>The reason given when another device holds the event id (never which device).</summary>
    internal const string EventIdTaken = "event_id is already used by another device; make a new event_id";

    private readonly IntakeOptions _options = options.Value;

    public override async Task<RecordScansResponse> RecordScans(RecordScansRequest request, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        if (request.Events.Count == 0)
        {
            EdgeErrors.InvalidArgument("events", "send at least one event");
        }

        var response = new RecordScansResponse();
        if (request.Events.Count > _options.MaxScanBatch)
        {
            var reason = $"batch too large: at most {_options.MaxScanBatch} events per call";
            response.Results.AddRange(request.Events.Select(e => Rejected(e.EventId, reason)));
            metrics.ScansRecorded(0, 0, request.Events.Count);
            return response;
        }

        await limits.TakeAsync(DeviceRate.ScanEvents, device.DeviceId, request.Events.Count, context.CancellationToken);
        response.Results.AddRange(await RecordAsync(request.Events, device, context.CancellationToken));
        return response;
    }

    public override async Task StreamScans(IAsyncStreamReader<ScanEvent> requestStream, IServerStreamWriter<ScanResult> responseStream, ServerCallContext context)
    {
        var device = DeviceIdentity.From(context);
        var pending = new List<ScanEvent>();
        var requests = limits.WithDeadlines(requestStream, device.DeviceId, "stream_scans");
        var reading = requests.MoveNext(context.CancellationToken);
        while (await reading)
        {
            // Take whatever has already arrived in one write, then answer each event in order.
            pending.Add(requests.Current);
            reading = requests.MoveNext(context.CancellationToken);
            while (pending.Count < _options.MaxScanBatch && reading.IsCompleted && await reading)
            {
                pending.Add(requests.Current);
                reading = requests.MoveNext(context.CancellationToken);
            }

            // Over its rate the stream ends RESOURCE_EXHAUSTED: the events not answered are sent again after the delay.
            await limits.TakeAsync(DeviceRate.ScanEvents, device.DeviceId, pending.Count, context.CancellationToken);
            foreach (var result in await RecordAsync(pending, device, context.CancellationToken))
            {
                await responseStream.WriteAsync(result, context.CancellationToken);
            }

            pending.Clear();
        }
    }

    private async Task<ScanResult[]> RecordAsync(IReadOnlyList<ScanEvent> events, DeviceIdentity device, CancellationToken cancellationToken)
    {
        var results = new ScanResult[events.Count];
        var valid = new List<(int Index, ScanRecord Event)>(events.Count);
        var latest = timeProvider.GetUtcNow() + _options.MaxClockSkew;
        var rejected = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var reason = Check(events[i], device, latest);
            if (reason is null)
            {
                valid.Add((i, ScanWire.FromDevice(events[i], device.DeviceId, device.DriverId)));
            }
            else
            {
                results[i] = Reject(events[i].EventId, device, reason);
                rejected++;
            }
        }

        var accepted = 0;
        if (valid.Count > 0)
        {
            var outcomes = await store.AddAsync(device.DeviceId, valid.Select(v => v.Event).ToList(), cancellationToken);
            for (var j = 0; j < valid.Count; j++)
            {
                var eventId = valid[j].Event.EventId;
                results[valid[j].Index] = outcomes[j] switch
                {
                    ScanAddOutcome.Added => new ScanResult { EventId = eventId, Outcome = ScanResult.Types.Outcome.Accepted },
                    ScanAddOutcome.Duplicate => new ScanResult { EventId = eventId, Outcome = ScanResult.Types.Outcome.Duplicate },
                    _ => Reject(eventId, device, EventIdTaken),
                };
                accepted += outcomes[j] == ScanAddOutcome.Added ? 1 : 0;
                rejected += outcomes[j] == ScanAddOutcome.OtherDevice ? 1 : 0;
            }

            if (accepted > 0)
            {
                signal.Notify(OutboxLane.Scans);
            }
        }

        var duplicates = events.Count - accepted - rejected;
        metrics.ScansRecorded(accepted, duplicates, rejected);
        ScansLog.Recorded(logger, ClientText.Bound(device.DeviceId), accepted, duplicates, rejected);
        return results;
    }

    // Counted in edge.scans.recorded; logged sampled per device, so a device sending junk cannot flood the log.
    private ScanResult Reject(string eventId, DeviceIdentity device, string reason)
    {
        if (limits.ShouldLog(device.DeviceId, "scan_rejected", out var suppressed))
        {
            ScansLog.Rejected(logger, ClientText.Bound(eventId, 64), ClientText.Bound(device.DeviceId), reason, suppressed);
        }

        return Rejected(eventId, reason);
    }

    /// <summary>Why the event cannot be taken, or null.</summary>
    internal static string? Check(ScanEvent scan, DeviceIdentity device, DateTimeOffset latest)
    {
        if (!IntakeChecks.IsId(scan.EventId))
        {
            return "malformed event_id: 1-128 characters of [A-Za-z0-9._:-]";
        }

        if (!IntakeChecks.IsOptionalId(scan.PackageId) || !IntakeChecks.IsOptionalId(scan.StopId) || !IntakeChecks.IsOptionalId(scan.RouteId))
        {
            return "malformed package_id, stop_id or route_id: 1-128 characters of [A-Za-z0-9._:-] or empty";
        }

        if (scan.RouteId.Length > 0 && !device.RouteIds.Contains(scan.RouteId))
        {
            return $"route {ClientText.Bound(scan.RouteId)} is not in the device's token";
        }

        if (scan.Barcode.Length is 0 or > 256)
        {
            return "barcode missing or longer than 256 characters";
        }

        if (scan.Type == ScanType.Unspecified || !Enum.IsDefined(scan.Type))
        {
            return "unknown scan type";
        }

        if (scan.ScannedAt is null)
        {
            return "scanned_at missing";
        }

        if (IntakeChecks.ToTime(scan.ScannedAt) is not { } scannedAt)
        {
            return "scanned_at is " + IntakeChecks.TimeRange;
        }

        if (scannedAt > latest)
        {
            return "scanned_at is too far in the future (check the device clock)";
        }

        if (scan.Sequence < 0)
        {
            return "sequence must not be negative";
        }

        if (scan.ExceptionCode.Length > 64)
        {
            return "exception_code longer than 64 characters";
        }

        return IntakeChecks.CheckLocation(scan.Location) is { } location ? "location: " + location : null;
    }

    private static ScanResult Rejected(string eventId, string reason)
        => new() { EventId = eventId, Outcome = ScanResult.Types.Outcome.Rejected, Reason = reason };
}

using Core.V1;
using Grpc.Core;

namespace Edge.CoreSim.Tests.Scans;

public sealed class ScansTests : CoreSimTest
{
    [Fact]
    public async Task DeliverScans_SameEventTwice_StoredOnce()
    {
        await using var core = await StartCoreAsync();
        var scan = TestData.Scan(TestData.NewId("E"));
        var other = TestData.Scan(TestData.NewId("E"));

        var first = await core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { scan } });
        var second = await core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { scan, other } });

        Assert.Equal(DeliveryOutcome.Accepted, Assert.Single(first.Results).Outcome);
        Assert.Equal([DeliveryOutcome.Duplicate, DeliveryOutcome.Accepted], second.Results.Select(r => r.Outcome));
        Assert.Equal([scan.EventId, other.EventId], second.Results.Select(r => r.EventId));
        var stored = await core.Admin.ListScansAsync(new());
        Assert.Equal([scan.EventId, other.EventId], stored.AcceptedEventIds);
        var counters = await core.Admin.GetCountersAsync(new());
        Assert.Equal(2, counters.ScanDeliveries[scan.EventId]);
    }

    [Fact]
    public async Task DeliverScans_RepeatedWithinBatch_LaterCopyDuplicate()
    {
        await using var core = await StartCoreAsync();
        var scan = TestData.Scan(TestData.NewId("E"));

        var answer = await core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { scan, scan } });

        Assert.Equal([DeliveryOutcome.Accepted, DeliveryOutcome.Duplicate], answer.Results.Select(r => r.Outcome));
        Assert.Single((await core.Admin.ListScansAsync(new())).AcceptedEventIds);
    }

    [Fact]
    public async Task DeliverScans_InvalidEvent_RejectedWithoutRecordingOthersAccepted()
    {
        await using var core = await StartCoreAsync();
        var invalid = TestData.Scan(TestData.NewId("E"));
        invalid.Barcode = "";
        var valid = TestData.Scan(TestData.NewId("E"));

        var answer = await core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { invalid, valid } });

        Assert.Equal(DeliveryOutcome.Rejected, answer.Results[0].Outcome);
        Assert.Contains("barcode", answer.Results[0].Reason, StringComparison.Ordinal);
        Assert.Equal(DeliveryOutcome.Accepted, answer.Results[1].Outcome);
        var stored = await core.Admin.ListScansAsync(new());
        Assert.Equal([valid.EventId], stored.AcceptedEventIds);
        Assert.Empty(stored.RejectedEventIds);
    }

    [Fact]
    public async Task DeliverScans_EmptyBatch_InvalidArgument()
    {
        await using var core = await StartCoreAsync();

        await TestData.ThrowsRpcAsync(StatusCode.InvalidArgument, () => core.Scans.DeliverScansAsync(new DeliverScansRequest()).ResponseAsync);
    }
}

using System.Diagnostics;
using Core.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Edge.CoreSim.Tests.FaultInjection;

public sealed class FaultInjectionTests : CoreSimTest
{
    [Fact]
    public async Task Down_CoreCalls_UnavailableWithRetryInfoUntilCleared()
    {
        await using var core = await StartCoreAsync();
        await core.Admin.SetFaultsAsync(new SetFaultsRequest { DownFor = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) });
        var proof = TestData.Proof(TestData.NewId("P"));

        var error = await TestData.ThrowsRpcAsync(StatusCode.Unavailable, () => core.Proofs.DeliverProofAsync(proof).ResponseAsync);
        await TestData.ThrowsRpcAsync(StatusCode.Unavailable, () => core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0001" }).ResponseAsync);

        var retry = error.GetRpcStatus()!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan();
        Assert.InRange(retry, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.Empty((await core.Admin.ListProofsAsync(new())).AcceptedProofIds);

        await core.Admin.SetFaultsAsync(new SetFaultsRequest());
        Assert.Equal(DeliveryOutcome.Accepted, (await core.Proofs.DeliverProofAsync(proof)).Outcome);
        Assert.Equal(2, (await core.Admin.GetCountersAsync(new())).FaultsInjected.Values.Sum());
    }

    [Fact]
    public async Task ErrorRateOne_EveryCall_FailsWithConfiguredCode()
    {
        await using var core = await StartCoreAsync();
        await core.Admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults { ErrorRate = 1.0, ErrorCode = (int)StatusCode.ResourceExhausted } });

        for (var i = 0; i < 3; i++)
        {
            await TestData.ThrowsRpcAsync(
                StatusCode.ResourceExhausted,
                () => core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { TestData.Scan(TestData.NewId("E")) } }).ResponseAsync);
        }

        var counters = await core.Admin.GetCountersAsync(new());
        Assert.Equal(3, counters.FaultsInjected["core.v1.Scans/DeliverScans"]);
        Assert.Empty(counters.ScanDeliveries);
        Assert.Empty((await core.Admin.ListScansAsync(new())).AcceptedEventIds);
    }

    [Fact]
    public async Task Targets_NamedService_OnlyThatServiceFails()
    {
        await using var core = await StartCoreAsync();
        await core.Admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults { ErrorRate = 1.0, Targets = { "core.v1.Proofs" } } });

        await TestData.ThrowsRpcAsync(StatusCode.Unavailable, () => core.Proofs.DeliverProofAsync(TestData.Proof(TestData.NewId("P"))).ResponseAsync);
        var manifest = await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0001" });

        Assert.Equal("R-0001", manifest.RouteId);
    }

    [Fact]
    public async Task RejectedProofId_EveryDelivery_RejectedWithReasonEvenAfterFaultsCleared()
    {
        await using var core = await StartCoreAsync();
        var proof = TestData.Proof(TestData.NewId("P"));
        await core.Admin.SetFaultsAsync(new SetFaultsRequest
        {
            Faults = new Faults { RejectProofIds = { proof.ProofId }, RejectReason = "stop cancelled by the shipper" },
        });

        var first = await core.Proofs.DeliverProofAsync(proof);
        await core.Admin.SetFaultsAsync(new SetFaultsRequest());
        var second = await core.Proofs.DeliverProofAsync(proof);

        Assert.Equal(DeliveryOutcome.Rejected, first.Outcome);
        Assert.Equal("stop cancelled by the shipper", first.Reason);
        Assert.Equal(first, second);
        var stored = await core.Admin.ListProofsAsync(new());
        Assert.Empty(stored.AcceptedProofIds);
        Assert.Equal([proof.ProofId], stored.RejectedProofIds);
    }

    [Fact]
    public async Task RejectedScanEventId_InBatch_OnlyThatEventRejected()
    {
        await using var core = await StartCoreAsync();
        var rejected = TestData.Scan(TestData.NewId("E"));
        var accepted = TestData.Scan(TestData.NewId("E"));
        await core.Admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults { RejectScanEventIds = { rejected.EventId } } });

        var answer = await core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { rejected, accepted } });

        Assert.Equal([DeliveryOutcome.Rejected, DeliveryOutcome.Accepted], answer.Results.Select(r => r.Outcome));
        Assert.False(string.IsNullOrEmpty(answer.Results[0].Reason));
        Assert.Equal([rejected.EventId], (await core.Admin.ListScansAsync(new())).RejectedEventIds);
    }

    [Fact]
    public async Task LostResponse_ProofStoredDespiteError_RetryAnsweredDuplicate()
    {
        await using var core = await StartCoreAsync();
        var proof = TestData.Proof(TestData.NewId("P"));
        await core.Admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults { LostResponseRate = 1.0 } });

        await TestData.ThrowsRpcAsync(StatusCode.Unavailable, () => core.Proofs.DeliverProofAsync(proof).ResponseAsync);
        await core.Admin.SetFaultsAsync(new SetFaultsRequest());
        var retry = await core.Proofs.DeliverProofAsync(proof);

        Assert.Equal(DeliveryOutcome.Duplicate, retry.Outcome);
        Assert.Equal([proof.ProofId], (await core.Admin.ListProofsAsync(new())).AcceptedProofIds);
    }

    [Fact]
    public async Task Latency_CoreCall_TakesAtLeastThatLong()
    {
        await using var core = await StartCoreAsync();
        await core.Admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults { Latency = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(300)) } });

        var stopwatch = Stopwatch.StartNew();
        await core.Manifests.GetManifestAsync(new GetRouteManifestRequest { RouteId = "R-0001" });

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(290), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Configuration_FaultsSection_InForceFromStart()
    {
        var configuration = new Dictionary<string, string?>
        {
            ["CoreSim:Faults:RejectProofIds:0"] = "P-from-config",
            ["CoreSim:Faults:RejectReason"] = "configured",
            ["CoreSim:Faults:DownFor"] = "00:10:00",
            ["CoreSim:Faults:Targets:0"] = "core.v1.Scans/DeliverScans",
        };
        await using var core = await StartCoreAsync(configuration: configuration);

        var answer = await core.Proofs.DeliverProofAsync(TestData.Proof("P-from-config"));
        await TestData.ThrowsRpcAsync(
            StatusCode.Unavailable,
            () => core.Scans.DeliverScansAsync(new DeliverScansRequest { Events = { TestData.Scan(TestData.NewId("E")) } }).ResponseAsync);

        Assert.Equal(DeliveryOutcome.Rejected, answer.Outcome);
        Assert.Equal("configured", answer.Reason);
        var faults = await core.Admin.GetFaultsAsync(new Empty());
        Assert.NotNull(faults.DownUntil);
        Assert.Equal(["P-from-config"], faults.RejectProofIds);
    }

    [Fact]
    public async Task SetFaults_RateAboveOne_InvalidArgument()
    {
        await using var core = await StartCoreAsync();

        await TestData.ThrowsRpcAsync(
            StatusCode.InvalidArgument,
            () => core.Admin.SetFaultsAsync(new SetFaultsRequest { Faults = new Faults { ErrorRate = 1.5 } }).ResponseAsync);
    }
}

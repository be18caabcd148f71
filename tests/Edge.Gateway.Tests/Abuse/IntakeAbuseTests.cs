using Edge.Gateway.Diagnostics;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>
/// One device flooding scans and proofs, holding streams and watchers, or sending junk to fill the log: refused at its
/// own budget while another device's photo, scans and proof go through. Run once per state mode.
/// </summary>
public abstract class IntakeAbuseTests : AbuseTestBase
{
    [Fact]
    public async Task ScanFlood_OverTheDeviceRate_IsRefused_OnRecordAndOnStream()
    {
        var host = await StartAsync(new() { ["Edge:Limits:ScanEventBurst"] = "500", ["Edge:Limits:ScanEventsPerSecond"] = "1" });
        var scans = new V1.Scans.ScansClient(host.Channel("attacker"));

        var first = await scans.RecordScansAsync(Batch("flood-a", 500));
        var refused = await Assert.ThrowsAsync<RpcException>(() => scans.RecordScansAsync(Batch("flood-b", 500)).ResponseAsync);
        using var stream = scans.StreamScans();
        var streamRefused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            try
            {
                foreach (var scan in Batch("flood-c", 100).Events)
                {
                    await stream.RequestStream.WriteAsync(scan);
                }

                await stream.RequestStream.CompleteAsync();
            }
            catch (RpcException)
            {
                // The gateway may end the call while the client is still writing; a write then fails with whatever
                // the client knows at that moment (often CANCELLED). The call's status is read from the responses.
            }

            while (await stream.ResponseStream.MoveNext())
            {
            }
        });
        await VictimGoesThroughAsync(host, "scans");

        Assert.All(first.Results, r => Assert.Equal(ScanResult.Types.Outcome.Accepted, r.Outcome));
        AssertRefusedWithRetry(refused);
        AssertRefusedWithRetry(streamRefused);
    }

    [Fact]
    public async Task ProofFlood_OverTheDeviceRate_IsRefused()
    {
        var host = await StartAsync(new() { ["Edge:Limits:ProofBurst"] = "3", ["Edge:Limits:ProofsPerSecond"] = "0.01" });
        var proofs = new V1.Proofs.ProofsClient(host.Channel("attacker"));
        await TestIntake.StartRouteAsync(host.Channel("attacker"));

        for (var i = 0; i < 3; i++)
        {
            // Proofs naming no photo: refused for what they are, and each spends the device's budget all the same.
            var invalid = await Assert.ThrowsAsync<RpcException>(() => proofs.SubmitProofAsync(TestIntake.Proof("attack-proof-" + i)).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => proofs.SubmitProofAsync(TestIntake.Proof("attack-proof-3")).ResponseAsync);
        await VictimGoesThroughAsync(host, "proofs");

        AssertRefusedWithRetry(refused);
    }

    [Fact]
    public async Task Watchers_PastTheDeviceLimit_AreRefused()
    {
        var host = await StartAsync();
        var channel = host.Channel("attacker", ["R-0001", "R-0002"]);
        var proofs = new V1.Proofs.ProofsClient(channel);
        var manifests = new V1.Manifests.ManifestsClient(channel);

        using var receipts1 = proofs.WatchReceipts(new WatchReceiptsRequest());
        using var receipts2 = proofs.WatchReceipts(new WatchReceiptsRequest());
        await receipts1.ResponseHeadersAsync;
        await receipts2.ResponseHeadersAsync;
        using var receipts3 = proofs.WatchReceipts(new WatchReceiptsRequest());
        var thirdReceipts = await Assert.ThrowsAsync<RpcException>(() => receipts3.ResponseStream.MoveNext());

        using var manifest1 = manifests.WatchManifest(new WatchManifestRequest { RouteId = "R-0001" });
        await manifest1.ResponseHeadersAsync;
        using var manifest2 = manifests.WatchManifest(new WatchManifestRequest { RouteId = "R-0001" });
        var secondManifest = await Assert.ThrowsAsync<RpcException>(() => manifest2.ResponseStream.MoveNext());
        using var otherRoute = manifests.WatchManifest(new WatchManifestRequest { RouteId = "R-0002" });
        await otherRoute.ResponseHeadersAsync;

        await VictimGoesThroughAsync(host, "watchers");
        AssertRefusedWithRetry(thirdReceipts);
        AssertRefusedWithRetry(secondManifest);
    }

    [Fact]
    public async Task StreamScans_WithoutMessages_EndsDeadlineExceeded()
    {
        var host = await StartAsync(new() { ["Edge:Limits:FirstMessageTimeout"] = "00:00:01", ["Edge:Limits:MessageIdleTimeout"] = "00:00:01" });
        var scans = new V1.Scans.ScansClient(host.Channel("attacker"));
        using var silent = scans.StreamScans();
        using var paused = scans.StreamScans();
        await paused.RequestStream.WriteAsync(TestIntake.Scan("paused-1"));
        Assert.True(await paused.ResponseStream.MoveNext());

        var first = await Assert.ThrowsAsync<RpcException>(() => silent.ResponseStream.MoveNext());
        var idle = await Assert.ThrowsAsync<RpcException>(() => paused.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.DeadlineExceeded, first.StatusCode);
        Assert.Equal(StatusCode.DeadlineExceeded, idle.StatusCode);
        Assert.Contains("next message", idle.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JunkScanIds_AreAnsweredOneByOne_ButLoggedSampledAndEscaped()
    {
        var logs = new CapturedLogs();
        var host = await StartAsync(new() { ["Logging:LogLevel:Edge.Gateway"] = "Information" }, logs);
        var scans = new V1.Scans.ScansClient(host.Channel("attacker"));
        var junk = new RecordScansRequest();
        for (var i = 0; i < 500; i++)
        {
            junk.Events.Add(TestIntake.Scan($"\u001b[2J\0{new string('x', 900)}-{i}", i));
        }

        var first = await scans.RecordScansAsync(junk);
        var second = await scans.RecordScansAsync(junk);
        await VictimGoesThroughAsync(host, "logs");

        Assert.All(first.Results.Concat(second.Results), r => Assert.Equal(ScanResult.Types.Outcome.Rejected, r.Outcome));
        var lines = logs.Entries.Where(e => e.EventId == EventIds.ScanRejected).ToList();
        Assert.InRange(lines.Count, 1, 2);
        Assert.All(logs.Entries, e => Assert.DoesNotContain('\u001b', e.Message));
        Assert.All(logs.Entries, e => Assert.DoesNotContain('\0', e.Message));
        Assert.All(lines, e => Assert.True(e.Message.Length < 1000, e.Message));
    }

    private static RecordScansRequest Batch(string prefix, int count)
    {
        var request = new RecordScansRequest();
        for (var i = 0; i < count; i++)
        {
            request.Events.Add(TestIntake.Scan($"{prefix}-{i}", i + 1));
        }

        return request;
    }
}

public sealed class EmbeddedIntakeAbuseTests : IntakeAbuseTests
{
    protected override string? Redis => null;
}

[Collection(RedisCollection.Name)]
public sealed class RedisIntakeAbuseTests(RedisServer redis) : IntakeAbuseTests
{
    protected override string? Redis => redis.ConnectionString;
}

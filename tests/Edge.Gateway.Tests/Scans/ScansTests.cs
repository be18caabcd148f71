using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Scans;

[Collection(RedisCollection.Name)]
public sealed class ScansTests(RedisServer redis)
{
    [Fact]
    public async Task RecordScans_EachBadEvent_IsRejectedWithItsReason()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var client = new V1.Scans.ScansClient(host.Channel());
        var unknownType = Scan("bad-type");
        unknownType.Type = ScanType.Unspecified;
        var future = Scan("bad-time");
        future.ScannedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(2));
        var malformed = Scan("bad id with spaces");
        var otherRoute = Scan("bad-route", route: "R-0999");
        var response = await client.RecordScansAsync(new RecordScansRequest { Events = { unknownType, future, malformed, otherRoute, Scan("good") } });
        var tooMany = new RecordScansRequest();
        tooMany.Events.AddRange(Enumerable.Range(0, 501).Select(i => Scan($"big-{i}", i)));
        var tooLarge = await client.RecordScansAsync(tooMany);

        string[] expected = ["unknown scan type", "future", "malformed event_id", "not in the device's token"];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Contains(expected[i], response.Results[i].Reason, StringComparison.Ordinal);
        }

        Assert.All(response.Results.Take(4), r => Assert.Equal(ScanResult.Types.Outcome.Rejected, r.Outcome));
        Assert.Equal(ScanResult.Types.Outcome.Accepted, response.Results[4].Outcome);
        Assert.All(tooLarge.Results, r => Assert.Contains("batch too large", r.Reason, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RecordScans_SameBatchTwice_CoreHasEachOnce(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var client = new V1.Scans.ScansClient(host.Channel());
        var batch = new RecordScansRequest { Events = { Enumerable.Range(0, 20).Select(i => Scan($"twice-{i}", i)) } };
        batch.Events.Add(Scan("twice-0"));

        var first = await client.RecordScansAsync(batch);
        var second = await client.RecordScansAsync(batch);

        Assert.Equal(20, first.Results.Count(r => r.Outcome == ScanResult.Types.Outcome.Accepted));
        Assert.Equal(ScanResult.Types.Outcome.Duplicate, first.Results[20].Outcome);
        Assert.All(second.Results, r => Assert.Equal(ScanResult.Types.Outcome.Duplicate, r.Outcome));
        await AssertCoreHasScansOnceAsync(await AdminAsync(host), Enumerable.Range(0, 20).Select(i => $"twice-{i}").ToList());
    }

    [Fact]
    public async Task StreamScans_AnswersEachEventInOrder()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());

        var results = await StreamAsync(new V1.Scans.ScansClient(host.Channel()), Scan("s-1"), Scan("s-2"), Scan("s-1"), Scan("s 3"));

        Assert.Equal(["s-1", "s-2", "s-1", "s 3"], results.Select(r => r.EventId));
        Assert.Equal(
            [ScanResult.Types.Outcome.Accepted, ScanResult.Types.Outcome.Accepted, ScanResult.Types.Outcome.Duplicate, ScanResult.Types.Outcome.Rejected],
            results.Select(r => r.Outcome));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RecordScans_IdUsedByAnotherDevice_IsRejectedForItAndStaysTheFirstDevicesOwn(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null, settings: FastForwarding());
        var first = new V1.Scans.ScansClient(host.Channel("device-b"));
        var other = new V1.Scans.ScansClient(host.Channel("device-a"));

        var taken = await first.RecordScansAsync(new RecordScansRequest { Events = { Scan("shared-1") } });
        var reused = await other.RecordScansAsync(new RecordScansRequest { Events = { Scan("shared-1", 2), Scan("a-own-1", 3) } });
        var reusedAgain = await other.RecordScansAsync(new RecordScansRequest { Events = { Scan("shared-1", 2) } });
        var streamed = await StreamAsync(other, Scan("shared-1", 2), Scan("a-own-2", 4));
        var ownerAgain = await first.RecordScansAsync(new RecordScansRequest { Events = { Scan("shared-1") } });

        Assert.Equal(ScanResult.Types.Outcome.Accepted, Assert.Single(taken.Results).Outcome);
        foreach (var refused in new[] { reused.Results[0], reusedAgain.Results[0], streamed[0] })
        {
            Assert.Equal("shared-1", refused.EventId);
            Assert.Equal(ScanResult.Types.Outcome.Rejected, refused.Outcome);
            Assert.Contains("already used by another device", refused.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain("device-b", refused.Reason, StringComparison.Ordinal);
        }

        Assert.Equal(ScanResult.Types.Outcome.Accepted, reused.Results[1].Outcome);
        Assert.Equal(ScanResult.Types.Outcome.Accepted, streamed[1].Outcome);
        Assert.Equal(ScanResult.Types.Outcome.Duplicate, Assert.Single(ownerAgain.Results).Outcome);
        await AssertCoreHasScansOnceAsync(await AdminAsync(host), ["shared-1", "a-own-1", "a-own-2"]);
    }

    [Fact]
    public async Task RecordScans_OutOfRangeTimes_RejectEachEventAloneAndTheRestGoThrough()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var client = new V1.Scans.ScansClient(host.Channel());
        var request = new RecordScansRequest();
        var bad = BadTimes();
        for (var i = 0; i < bad.Length; i++)
        {
            var scan = Scan($"bad-time-{i}", i);
            scan.ScannedAt = bad[i];
            request.Events.Add(scan);
            request.Events.Add(Scan($"good-{i}", i));
        }

        var response = await client.RecordScansAsync(request);

        for (var i = 0; i < bad.Length; i++)
        {
            Assert.Equal(ScanResult.Types.Outcome.Rejected, response.Results[2 * i].Outcome);
            Assert.StartsWith("scanned_at is not a valid time", response.Results[2 * i].Reason, StringComparison.Ordinal);
            Assert.Equal(ScanResult.Types.Outcome.Accepted, response.Results[(2 * i) + 1].Outcome);
        }
    }

    [Fact]
    public async Task StreamScans_OutOfRangeTime_RejectsThatEventAndTheStreamGoesOn()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var client = new V1.Scans.ScansClient(host.Channel());
        var events = new List<ScanEvent> { Scan("st-good-0") };
        foreach (var (time, i) in BadTimes().Select((t, i) => (t, i)))
        {
            var scan = Scan($"st-bad-{i}", i);
            scan.ScannedAt = time;
            events.Add(scan);
        }

        events.Add(Scan("st-good-1"));

        var results = await StreamAsync(client, [.. events]);

        Assert.Equal(events.Select(e => e.EventId), results.Select(r => r.EventId));
        Assert.Equal(ScanResult.Types.Outcome.Accepted, results[0].Outcome);
        Assert.All(results.Skip(1).SkipLast(1), r => Assert.Equal(ScanResult.Types.Outcome.Rejected, r.Outcome));
        Assert.Equal(ScanResult.Types.Outcome.Accepted, results[^1].Outcome);
    }

    /// <summary>Times no <c>google.protobuf.Timestamp</c> may hold: year 31,000,000, negative nanos, nanos past a second.</summary>
    internal static Timestamp[] BadTimes() =>
    [
        new Timestamp { Seconds = 978_285_600_000_000 },
        new Timestamp { Seconds = 1_790_000_000, Nanos = -1 },
        new Timestamp { Seconds = 1_790_000_000, Nanos = 1_000_000_000 },
    ];

    private static async Task<List<ScanResult>> StreamAsync(V1.Scans.ScansClient client, params ScanEvent[] events)
    {
        using var call = client.StreamScans();
        foreach (var scan in events)
        {
            await call.RequestStream.WriteAsync(scan);
        }

        await call.RequestStream.CompleteAsync();
        var results = new List<ScanResult>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            results.Add(call.ResponseStream.Current);
        }

        return results;
    }
}

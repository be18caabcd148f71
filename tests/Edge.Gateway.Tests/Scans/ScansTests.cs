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
        using var call = new V1.Scans.ScansClient(host.Channel()).StreamScans();
        var results = new List<ScanResult>();
        foreach (var id in new[] { "s-1", "s-2", "s-1", "s 3" })
        {
            await call.RequestStream.WriteAsync(Scan(id));
        }

        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            results.Add(call.ResponseStream.Current);
        }

        Assert.Equal(["s-1", "s-2", "s-1", "s 3"], results.Select(r => r.EventId));
        Assert.Equal(
            [ScanResult.Types.Outcome.Accepted, ScanResult.Types.Outcome.Accepted, ScanResult.Types.Outcome.Duplicate, ScanResult.Types.Outcome.Rejected],
            results.Select(r => r.Outcome));
    }
}

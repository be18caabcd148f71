using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>In Redis mode a device's budgets hold across replicas: spending them on one replica spends them on all.</summary>
[Collection(RedisCollection.Name)]
public sealed class SharedBudgetTests(RedisServer redis) : AbuseTestBase
{
    protected override string? Redis => redis.ConnectionString;

    [Fact]
    public async Task ScanRate_SpentOnOneReplica_IsRefusedOnTheOther()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var settings = new Dictionary<string, string?> { ["Edge:Limits:ScanEventBurst"] = "500", ["Edge:Limits:ScanEventsPerSecond"] = "1" };
        var first = await StartAsync(settings, redisPrefix: prefix);
        var second = await StartAsync(settings, redisPrefix: prefix);
        var request = new RecordScansRequest();
        for (var i = 0; i < 500; i++)
        {
            request.Events.Add(TestIntake.Scan("spread-" + i, i + 1));
        }

        await new V1.Scans.ScansClient(first.Channel("attacker")).RecordScansAsync(request);
        var refused = await Assert.ThrowsAsync<RpcException>(() => new V1.Scans.ScansClient(second.Channel("attacker")).RecordScansAsync(request).ResponseAsync);
        await VictimGoesThroughAsync(second, "replicas");

        AssertRefusedWithRetry(refused);
    }

    [Fact]
    public async Task UnfinishedUploads_OnOneReplica_CountOnTheOther()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var settings = new Dictionary<string, string?> { ["Edge:Uploads:MaxUnfinishedUploadsPerDevice"] = "2" };
        var first = await StartAsync(settings, redisPrefix: prefix);
        var second = await StartAsync(settings, redisPrefix: prefix);
        var data = TestUploader.RandomBytes(200_000, seed: 9);
        foreach (var (host, id) in new[] { (first, "r-0"), (second, "r-1") })
        {
            await LeaveUnfinishedAsync(new V1.Uploads.UploadsClient(host.Channel("attacker")), id, [.. data, (byte)id[^1]]);
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => TestUploader.UploadAsync(new V1.Uploads.UploadsClient(first.Channel("attacker")), "r-2", data));
        await VictimGoesThroughAsync(first, "replica-uploads");

        AssertRefusedWithRetry(refused);
    }
}

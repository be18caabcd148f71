using Edge.Gateway.Diagnostics;
using Edge.Gateway.Hosting;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Hosting;

/// <summary>
/// A gateway in Redis mode whose redis-server goes away: calls that need the state end UNAVAILABLE (which devices
/// retry) with a plain message, never INTERNAL or UNKNOWN, and the outage is logged once per method and period, not once
/// a call.
/// </summary>
public sealed class StateStoreOutageTests
{
    [Fact]
    public async Task RedisGone_CallsEndUnavailable_AndTheOutageIsLoggedOncePerMethod()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        await using var host = await GatewayHost.StartAsync(redis: redis.ConnectionString, settings: FastForwarding(), services: services => services.AddFakeLogsOfEveryLevel());
        var channel = host.Channel("outage-device");
        var scans = new V1.Scans.ScansClient(channel);
        var uploads = new V1.Uploads.UploadsClient(channel);
        var before = await scans.RecordScansAsync(new RecordScansRequest { Events = { Scan("outage-1") } });

        await redis.DisposeAsync();
        // Together, as a depot's devices would call: each waits out the Redis client's timeout, and all fail within
        // one log period.
        var calls = Enumerable.Range(2, 5)
            .Select(i => Assert.ThrowsAsync<RpcException>(() => scans.RecordScansAsync(new RecordScansRequest { Events = { Scan("outage-" + i) } }).ResponseAsync))
            .Append(Assert.ThrowsAsync<RpcException>(() => uploads.QueryUploadAsync(new QueryUploadRequest { UploadId = "u-outage" }).ResponseAsync))
            .ToList();
        var errors = await Task.WhenAll(calls);

        Assert.Equal(ScanResult.Types.Outcome.Accepted, Assert.Single(before.Results).Outcome);
        Assert.All(errors, e =>
        {
            Assert.Equal(StatusCode.Unavailable, e.StatusCode);
            Assert.Equal(CallErrorInterceptor.StateStoreUnavailableMessage, e.Status.Detail);
        });
        var logged = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.DoesNotContain(logged, r => r.Id.Id == EventIds.CallUnexpectedError);
        var outageLines = logged.Where(r => r.Id.Id == EventIds.CallStateStoreUnavailable).ToList();
        Assert.Single(outageLines, r => r.Message.Contains("/edge.v1.Scans/RecordScans", StringComparison.Ordinal));
        Assert.Single(outageLines, r => r.Message.Contains("/edge.v1.Uploads/QueryUpload", StringComparison.Ordinal));
        Assert.All(outageLines, r => Assert.Equal(LogLevel.Warning, r.Level));
    }
}

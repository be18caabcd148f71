using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Microsoft.Extensions.DependencyInjection;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Forwarding;

/// <summary>What operators see of the outbox: its depth and age, retries, the breaker, forward latency.</summary>
public sealed class ForwardingMetricsTests
{
    [Fact]
    public async Task Metrics_ShowTheBacklogAndBreakerWhileTheCoreIsDown_AndTheDrainAfter()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var latest = new ConcurrentDictionary<string, double>();
        var sums = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener
        {
            // Only this host's meters: other tests' gateways run in the same process.
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name.StartsWith("edge.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var lane = string.Empty;
            foreach (var tag in tags)
            {
                if (tag.Key == "lane")
                {
                    lane = ":" + tag.Value;
                }
            }

            latest[instrument.Name + lane] = value;
            sums.AddOrUpdate(instrument.Name + lane, value, (_, sum) => sum + value);
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        var admin = await AdminAsync(host);
        await SetCoreDownAsync(admin, down: true);

        await new V1.Scans.ScansClient(host.Channel()).RecordScansAsync(new RecordScansRequest { Events = { Enumerable.Range(0, 10).Select(i => Scan($"metric-{i}", i)) } });
        await WaitUntilAsync(() =>
        {
            listener.RecordObservableInstruments();
            return Task.FromResult(latest.GetValueOrDefault("edge.outbox.depth:scans") >= 10 && latest.GetValueOrDefault("edge.forward.breaker.state:scans") == 2);
        }, what: "the backlog and the open breaker to show");
        var ageWhileDown = latest.GetValueOrDefault("edge.outbox.age:scans");
        var retries = sums.Where(kv => kv.Key.StartsWith("edge.forward.retries", StringComparison.Ordinal)).Sum(kv => kv.Value);

        await SetCoreDownAsync(admin, down: false);
        await WaitUntilAsync(() =>
        {
            listener.RecordObservableInstruments();
            return Task.FromResult(latest.GetValueOrDefault("edge.outbox.depth:scans", -1) == 0 && sums.GetValueOrDefault("edge.forward.items:scans") >= 10);
        }, what: "the drain to show");

        Assert.True(ageWhileDown > 0);
        Assert.True(retries > 0);
        Assert.Equal(0, latest["edge.forward.breaker.state:scans"]);
        Assert.True(sums.GetValueOrDefault("edge.forward.duration:scans") > 0);
    }
}

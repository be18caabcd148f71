using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Hosting;

/// <summary>
/// The Prometheus listener as a scraper on the machine reaches it, with the outbox measured at the scrape. The gateway
/// runs as a process of its own: metrics are collected by meter name, so a gateway hosted in the test process would
/// also report the gauges of every other test's gateway running beside it.
/// </summary>
public sealed class MetricsListenerTests
{
    [Fact]
    public async Task DefaultHost_AnswersAScrapeOf127001_WithTheOutboxDepthAsItIsNow()
    {
        var port = FreePorts.Next();
        var corePort = FreePorts.Next();
        await using var gateway = await GatewayProcess.StartAsync(new GatewayProcessOptions
        {
            CorePort = corePort,
            Arguments =
            [
                .. FastForwardingArgs(),
                $"--Edge:Core:EmbeddedPort={corePort}",
                $"--Edge:Metrics:PrometheusPort={port}",
                "--Edge:Forwarding:BacklogMeasureInterval=00:00:00",
            ],
        });
        var admin = Admin(corePort);
        await SetCoreDownAsync(admin, down: true);
        using var channel = TestChannels.Create(gateway.Address, TestTokens.Mint("device-1"));
        await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest { Events = { Enumerable.Range(0, 7).Select(i => Scan($"scrape-{i}", i)) } });
        using var http = new HttpClient();

        string? body = null;
        try
        {
            await WaitUntilAsync(async () =>
        {
            body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            return System.Text.RegularExpressions.Regex.IsMatch(body, "^edge_outbox_depth[^ ]*lane=\"scans\"[^ ]* 7( |$)", System.Text.RegularExpressions.RegexOptions.Multiline);
        }, TimeSpan.FromSeconds(20), what: "the outbox gauge in a scrape");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + ": " + body?[..Math.Min(body.Length, 3000)], e);
        }

        using var byName = await http.GetAsync(new Uri($"http://localhost:{port}/metrics"));

        Assert.NotNull(body);
        Assert.Equal(System.Net.HttpStatusCode.OK, byName.StatusCode);
    }
}

using System.Diagnostics;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Microsoft.Extensions.DependencyInjection;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Forwarding;

/// <summary>The operators' command: list what the core refused for good, and send it again.</summary>
public sealed class DeadLettersCommandTests
{
    private static async Task<(int ExitCode, string Output)> RunCommandAsync(string dataDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Edge.Gateway.dll"), "dead-letters", .. args, "--Edge:DataDirectory", dataDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    private static async Task<long> ScanDeliveriesAsync(global::Core.V1.Admin.AdminClient admin)
        => (await admin.GetCountersAsync(new Google.Protobuf.WellKnownTypes.Empty())).ScanDeliveries["refused-scan"];

    [Fact]
    public async Task DeadLetters_ListedAndReplayed_GoToTheCoreAgain()
    {
        await using var host = await GatewayHost.StartAsync(settings: FastForwarding());
        var channel = host.Channel();
        var admin = await AdminAsync(host);
        await admin.SetFaultsAsync(new global::Core.V1.SetFaultsRequest
        {
            Faults = new global::Core.V1.Faults { RejectScanEventIds = { "refused-scan" }, RejectReason = "unknown package" },
        });
        await new V1.Scans.ScansClient(channel).RecordScansAsync(new RecordScansRequest { Events = { Scan("refused-scan") } });
        var letters = host.Services.GetRequiredService<IDeadLetters>();
        await WaitUntilAsync(async () => (await letters.ListAsync(CancellationToken.None)).Count == 1, what: "the dead letter");

        var list = await RunCommandAsync(host.DataDirectory, "list");
        // Counted, not assumed to be 1: a first delivery whose answer was lost (a slow machine) is delivered again.
        var deliveredBefore = await ScanDeliveriesAsync(admin);
        var replay = await RunCommandAsync(host.DataDirectory, "replay", "--id", "scan:refused-scan");
        await WaitUntilAsync(async () => await ScanDeliveriesAsync(admin) > deliveredBefore, what: "the replayed scan to reach the core");
        var unknown = await RunCommandAsync(host.DataDirectory, "replay", "--id", "scan:no-such-scan");

        Assert.Equal(0, list.ExitCode);
        Assert.Contains("scan:refused-scan", list.Output, StringComparison.Ordinal);
        Assert.Contains("unknown package", list.Output, StringComparison.Ordinal);
        Assert.Equal(0, replay.ExitCode);
        Assert.Contains("replayed scan:refused-scan", replay.Output, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
    }
}

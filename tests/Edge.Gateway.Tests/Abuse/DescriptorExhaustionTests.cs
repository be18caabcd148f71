using System.Diagnostics;
using System.Globalization;
using Edge.Gateway.Hosting;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Xunit.Abstractions;
using static Edge.Gateway.Tests.Infrastructure.TestIntake;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>
/// The gateway process out of file descriptors for a while (a leak, a low <c>nofile</c>; clients alone cannot do it,
/// the connection limit stays under the limit): its soft <c>nofile</c> is lowered under the descriptors it holds, so
/// every open, socket and accept fails with EMFILE, while the core restarts (forwarding needs a new socket) and a
/// device keeps calling on its open connection and a new device tries to connect. The gateway stays up, answers what
/// it cannot do UNAVAILABLE, and once descriptors are back, without a restart, serves the new device, finishes the
/// photo refused meanwhile and delivers every scan to the core once.
/// </summary>
public sealed class DescriptorExhaustionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DescriptorsRunningOut_AreRiddenOut_AndTheGatewayRecoversWhenTheyReturn()
    {
        var corePort = FreePorts.Next();
        var coreData = Directory.CreateTempSubdirectory("edge-core-").FullName;
        var core = await CoreSimProcess.StartAsync(corePort, coreData);
        await using var gateway = await GatewayProcess.StartAsync(new GatewayProcessOptions
        {
            Arguments =
            [
                .. FastForwardingArgs(),
                "--Edge:Core:Address", core.Address,
                "--Edge:Connections:ReservedDescriptors", "64",
                "--Edge:Auth:RevocationRefresh", "00:00:00.200",
                "--Edge:Uploads:SweepInterval", "00:00:00.500",
            ],
        });
        using var channel = TestChannels.Create(gateway.Address, TestTokens.Mint("device-1"));
        var scans = new V1.Scans.ScansClient(channel);
        var uploads = new V1.Uploads.UploadsClient(channel);
        await scans.RecordScansAsync(new RecordScansRequest { Events = { Scan("before") } });
        await AssertCoreHasScansOnceAsync(Admin(corePort), ["before"]);

        // Out of descriptors: the lowest free descriptor number is above the soft limit of 1. The core restarts meanwhile.
        await core.DisposeAsync();
        var original = (int)(ConnectionLimits.ReadDescriptorLimit($"/proc/{gateway.ProcessId}/limits") ?? throw new InvalidOperationException("no nofile limit"));
        await SetDescriptorLimitAsync(gateway.ProcessId, 1);
        var cpuBefore = CpuSeconds(gateway.ProcessId);
        await using var back = await CoreSimProcess.StartAsync(corePort, coreData);
        var newcomer = RecordAsNewDeviceAsync(gateway.Address, "device-2", "newcomer");
        var photo = TestPhotos.PhoneJpeg();
        var photoRefused = await Assert.ThrowsAsync<RpcException>(() => TestUploader.UploadAsync(uploads, "photo-meanwhile", photo));
        var during = new List<string>();
        var refusals = new List<RpcException>();
        for (var i = 0; i < 10; i++)
        {
            try
            {
                await scans.RecordScansAsync(new RecordScansRequest { Events = { Scan($"during-{i}", i + 2) } }, deadline: DateTime.UtcNow.AddSeconds(10));
                during.Add($"during-{i}");
            }
            catch (RpcException e)
            {
                refusals.Add(e);
            }

            await Task.Delay(300);
        }

        var exhausted = gateway.Output;
        Assert.False(gateway.HasExited, exhausted);
        var cpu = CpuSeconds(gateway.ProcessId) - cpuBefore;
        Assert.False(newcomer.IsCompleted);
        await SetDescriptorLimitAsync(gateway.ProcessId, original);

        // What ran meanwhile met EMFILE and said so plainly; the accept loop paused instead of spinning.
        Assert.Contains("Too many open files", exhausted, StringComparison.Ordinal);
        Assert.Contains("Cannot accept connections on", exhausted, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unavailable, photoRefused.StatusCode);
        Assert.All(refusals, e => Assert.Equal(StatusCode.Unavailable, e.StatusCode));
        Assert.DoesNotContain("failed with an unexpected error", exhausted, StringComparison.Ordinal);

        // Back: the waiting device is served, the refused photo completes, the core gets every scan once.
        Assert.Equal("ok", await newcomer.WaitAsync(TimeSpan.FromSeconds(60)));
        var completed = await TestUploader.UploadToEndAsync(uploads, "photo-meanwhile", photo);
        Assert.Equal(TestUploader.Sha256(photo), completed.Blob.Sha256);
        await AssertCoreHasScansOnceAsync(Admin(corePort), ["before", .. during, "newcomer"], TimeSpan.FromSeconds(60));
        Assert.Contains("Accepting connections on", gateway.Output, StringComparison.Ordinal);
        Assert.False(gateway.HasExited);
        output.WriteLine($"Out of descriptors for the calls above: {during.Count} scans taken, {refusals.Count} refused UNAVAILABLE; gateway CPU meanwhile {cpu:0.00} s.");
    }

    private static async Task<string> RecordAsNewDeviceAsync(Uri address, string device, string eventId)
    {
        using var late = TestChannels.Create(address, TestTokens.Mint(device));
        try
        {
            await new V1.Scans.ScansClient(late).RecordScansAsync(new RecordScansRequest { Events = { Scan(eventId) } }, deadline: DateTime.UtcNow.AddSeconds(90));
            return "ok";
        }
        catch (RpcException e)
        {
            return e.Status.ToString();
        }
    }

    /// <summary>User and system CPU time of a process so far, in seconds.</summary>
    private static double CpuSeconds(int processId)
    {
        var fields = File.ReadAllText($"/proc/{processId}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>Sets the soft <c>nofile</c> limit of a running process (util-linux <c>prlimit</c>).</summary>
    private static async Task SetDescriptorLimitAsync(int processId, int soft)
    {
        using var prlimit = Process.Start("prlimit", ["--pid", processId.ToString(CultureInfo.InvariantCulture), $"--nofile={soft.ToString(CultureInfo.InvariantCulture)}:"])
            ?? throw new InvalidOperationException("prlimit did not start");
        await prlimit.WaitForExitAsync();
        Assert.Equal(0, prlimit.ExitCode);
    }
}

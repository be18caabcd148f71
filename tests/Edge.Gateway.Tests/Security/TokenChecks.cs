using System.Diagnostics;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;

namespace Edge.Gateway.Tests.Security;

/// <summary>A call that needs a device token, and the gateway's operator commands, for the token tests.</summary>
internal static class TokenChecks
{
    /// <summary>The status of a FindMissingBlobs call made with <paramref name="token"/> (OK when it is accepted).</summary>
    public static async Task<StatusCode> CallAsync(Uri address, string? token)
    {
        using var channel = TestChannels.Create(address, token);
        try
        {
            await new V1.Uploads.UploadsClient(channel).FindMissingBlobsAsync(new FindMissingBlobsRequest()).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(20));
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    /// <summary>Calls until the answer is <paramref name="expected"/> (a revocation is read within the refresh period), at most 20 s.</summary>
    public static async Task<StatusCode> CallUntilAsync(Uri address, string token, StatusCode expected)
    {
        var deadline = Stopwatch.StartNew();
        var status = await CallAsync(address, token);
        while (status != expected && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
            status = await CallAsync(address, token);
        }

        return status;
    }

    /// <summary>Runs <c>Edge.Gateway &lt;arguments&gt;</c> (an operator command) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunGatewayCommandAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Edge.Gateway.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await errors);
    }
}

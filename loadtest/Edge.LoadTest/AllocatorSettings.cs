using System.Diagnostics;
using Edge.Gateway.Imaging;
using Edge.LoadTesting;

namespace Edge.LoadTest;

/// <summary>
/// The photo benchmarks measure the pipeline under the allocator settings the gateway runs with
/// (<see cref="NativeAllocator.Settings"/>): glibc reads them only when a process starts, so a benchmark started without
/// them runs itself again with them.
/// </summary>
internal static class AllocatorSettings
{
    /// <summary>Whether <c>--allocator</c> asks for the gateway's settings (the default) rather than glibc's own.</summary>
    public static bool GatewayWanted(ScenarioArguments options) => (options.String("allocator") ?? "gateway") switch
    {
        "gateway" => true,
        "glibc" => false,
        var other => throw new ArgumentException($"--allocator is gateway (the gateway's settings, the default) or glibc (glibc's defaults), not '{other}'."),
    };

    /// <summary>Whether this process runs with exactly the gateway's settings.</summary>
    public static bool InEffect() => NativeAllocator.Settings.All(s => Environment.GetEnvironmentVariable(s.Key) == s.Value);

    /// <summary>What this process runs with, for the report.</summary>
    public static string Describe() => InEffect() ? $"the gateway's ({NativeAllocator.Describe()})" : "glibc's defaults";

    /// <summary>Runs this program again with the same arguments and the gateway's settings; its exit code.</summary>
    public static async Task<int> RunAgainAsync()
    {
        var commandLine = Environment.GetCommandLineArgs();
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        // Started by the dotnet host, the first argument is this program's dll; started as an apphost, it is the program.
        if (commandLine[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(commandLine[0]);
        }

        foreach (var argument in commandLine.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in NativeAllocator.Settings)
        {
            start.Environment[name] = value;
        }

        Console.Error.WriteLine($"running again with {NativeAllocator.Describe()} (glibc reads them at start; --allocator glibc to measure without them)");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The benchmark could not start itself again.");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}

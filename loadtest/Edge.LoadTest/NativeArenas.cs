using System.Diagnostics;
using Edge.LoadTesting;

namespace Edge.LoadTest;

/// <summary>
/// The photo benchmarks measure the pipeline under the allocator settings the gateway runs with: glibc reads
/// MALLOC_ARENA_MAX only when a process starts, so a benchmark started without it runs itself again with it.
/// </summary>
internal static class NativeArenas
{
    public const string Variable = "MALLOC_ARENA_MAX";

    /// <summary>The MALLOC_ARENA_MAX that <c>--arenas</c> asks for (1 by default, as the gateway's image sets), or null for glibc's own.</summary>
    public static string? Wanted(ScenarioArguments options)
    {
        var value = options.String("arenas") ?? "1";
        if (value == "default")
        {
            return null;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var arenas) && arenas >= 1
            ? value
            : throw new ArgumentException($"--arenas is a number of arenas from 1 or 'default', not '{value}'.");
    }

    /// <summary>Runs this program again with the same arguments and MALLOC_ARENA_MAX set; its exit code.</summary>
    public static async Task<int> RunAgainAsync(string arenas)
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

        start.Environment[Variable] = arenas;
        Console.Error.WriteLine($"running again with {Variable}={arenas} (glibc reads it at start; --arenas default to measure without it)");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The benchmark could not start itself again.");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}

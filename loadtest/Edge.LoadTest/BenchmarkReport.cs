using System.Globalization;
using System.Text.Json;
using HdrHistogram;

namespace Edge.LoadTest;

/// <summary>
/// The result of one scenario run: its parameters and named measurements, printed as a table and saved as
/// JSON under loadtest/results/. Every scenario reports through this, so runs stay comparable.
/// </summary>
internal sealed class BenchmarkReport(string scenario)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Scenario { get; } = scenario;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public string Machine { get; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";

    public Dictionary<string, string> Parameters { get; } = [];

    public List<Measurement> Measurements { get; } = [];

    public void Add(string name, double value, string unit) => Measurements.Add(new Measurement(name, Math.Round(value, 3), unit));

    /// <summary>Adds p50, p90, p95, p99 and max of a histogram recorded in microseconds, as milliseconds.</summary>
    public void AddPercentiles(string name, HistogramBase microseconds)
    {
        foreach (var percentile in new[] { 50.0, 90.0, 95.0, 99.0 })
        {
            Add($"{name} p{percentile:0}", microseconds.GetValueAtPercentile(percentile) / 1000.0, "ms");
        }

        Add($"{name} max", microseconds.GetMaxValue() / 1000.0, "ms");
    }

    public void Print(TextWriter output)
    {
        output.WriteLine($"scenario {Scenario} ({Machine})");
        output.WriteLine("  " + string.Join(", ", Parameters.Select(p => $"{p.Key}={p.Value}")));
        var width = Measurements.Max(m => m.Name.Length);
        foreach (var measurement in Measurements)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {measurement.Name.PadRight(width)}  {measurement.Value,12:0.###} {measurement.Unit}"));
        }
    }

    /// <summary>Writes <c>{scenario}-{utc time}.json</c> into <paramref name="directory"/> and returns its path.</summary>
    public string WriteJson(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{Scenario}-{StartedAt:yyyyMMdd'T'HHmmss'Z'}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
        return path;
    }

    internal sealed record Measurement(string Name, double Value, string Unit);
}

/// <summary>Process-wide figures from the OS.</summary>
internal static class ProcessFigures
{
    /// <summary>Peak resident set size (VmHWM), or 0 where /proc is not available.</summary>
    public static long PeakResidentBytes()
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path))
        {
            return 0;
        }

        var line = File.ReadLines(Path).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public static TimeSpan CpuTime()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>
    /// CPU time so far of each thread of this process (user and system, at the kernel's 10 ms resolution) by thread id and
    /// name, from /proc/self/task; empty where /proc is not available.
    /// </summary>
    public static Dictionary<(int Id, string Name), TimeSpan> ThreadCpuTimes()
    {
        var times = new Dictionary<(int, string), TimeSpan>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return times;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended
            }

            // pid (comm) state ppid ... utime stime: the name may hold spaces and parentheses, the fields after it do not.
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var id = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
            times[(id, stat[(open + 1)..close])] = TimeSpan.FromMilliseconds(ticks * 10);
        }

        return times;
    }

    /// <summary>CPU time the threads whose name passes <paramref name="named"/> spent between two <see cref="ThreadCpuTimes"/>.</summary>
    public static TimeSpan ThreadCpuBetween(Dictionary<(int Id, string Name), TimeSpan> before, Dictionary<(int Id, string Name), TimeSpan> after, Func<string, bool> named)
        => after.Where(t => named(t.Key.Name)).Aggregate(TimeSpan.Zero, (sum, t) => sum + t.Value - before.GetValueOrDefault(t.Key));
}

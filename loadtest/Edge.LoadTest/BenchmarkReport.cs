using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HdrHistogram;

namespace Edge.LoadTest;

/// <summary>
/// One scenario's figures: printed as an aligned table and saved as JSON under <c>loadtest/results/</c>, so runs can
/// be compared.
/// </summary>
internal sealed class BenchmarkReport(string scenario)
{
    private readonly JsonObject _figures = [];
    private readonly List<(string Name, string Value)> _lines = [];

    public string Scenario { get; } = scenario;

    public BenchmarkReport Add(string name, double value, string unit, int decimals = 1)
    {
        _figures[name] = Math.Round(value, decimals);
        _lines.Add((name, value.ToString("N" + decimals, CultureInfo.InvariantCulture) + " " + unit));
        return this;
    }

    public BenchmarkReport Add(string name, string value)
    {
        _figures[name] = value;
        _lines.Add((name, value));
        return this;
    }

    /// <summary>p50, p95, p99 and max of a histogram recorded in microseconds, in milliseconds.</summary>
    public BenchmarkReport AddLatency(string name, LongHistogram microseconds)
    {
        Add(name + "_p50_ms", microseconds.GetValueAtPercentile(50) / 1000.0, "ms", 2);
        Add(name + "_p95_ms", microseconds.GetValueAtPercentile(95) / 1000.0, "ms", 2);
        Add(name + "_p99_ms", microseconds.GetValueAtPercentile(99) / 1000.0, "ms", 2);
        Add(name + "_max_ms", microseconds.GetMaxValue() / 1000.0, "ms", 2);
        return this;
    }

    public static LongHistogram NewLatencyHistogram() => new(TimeStamp.Hours(1) / 1_000_000 * 1_000_000, 3);

    public string Save(string? directory = null)
    {
        directory ??= Path.Combine(Directory.GetCurrentDirectory(), "loadtest", "results");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{Scenario}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        var document = new JsonObject
        {
            ["scenario"] = Scenario,
            ["utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["figures"] = _figures.DeepClone(),
        };
        File.WriteAllText(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    public void Print(TextWriter output)
    {
        output.WriteLine($"== {Scenario} ==");
        var width = _lines.Max(l => l.Name.Length);
        foreach (var (name, value) in _lines)
        {
            output.WriteLine($"  {name.PadRight(width)}  {value}");
        }
    }
}

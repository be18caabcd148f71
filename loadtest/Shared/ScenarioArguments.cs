using System.Globalization;

namespace Edge.LoadTest;

/// <summary><c>--name value</c> pairs after the scenario name. Shared by Edge.LoadTest and Edge.Fleet (linked into both).</summary>
internal sealed class ScenarioArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static ScenarioArguments Parse(string[] args)
    {
        var parsed = new ScenarioArguments();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }

            parsed._values[args[i][2..]] = args[++i];
        }

        return parsed;
    }

    /// <summary>Throws when an option other than <paramref name="known"/> was given: a typo is refused, not ignored.</summary>
    public ScenarioArguments Only(string command, params string[] known)
    {
        if (_values.Keys.FirstOrDefault(name => !known.Contains(name, StringComparer.Ordinal)) is { } unknown)
        {
            throw new ArgumentException($"{command} has no option --{unknown} (it takes {string.Join(", ", known.Order(StringComparer.Ordinal).Select(k => "--" + k))})");
        }

        return this;
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    public int Int(string name, int fallback)
        => _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A duration given as <c>300</c> or <c>300s</c> (seconds), <c>5m</c> or <c>200ms</c>.</summary>
    public TimeSpan Duration(string name, TimeSpan fallback)
    {
        if (!_values.TryGetValue(name, out var value))
        {
            return fallback;
        }

        return value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(double.Parse(value[..^2], CultureInfo.InvariantCulture)),
            _ when value.EndsWith('s') => TimeSpan.FromSeconds(double.Parse(value[..^1], CultureInfo.InvariantCulture)),
            _ when value.EndsWith('m') => TimeSpan.FromMinutes(double.Parse(value[..^1], CultureInfo.InvariantCulture)),
            _ => TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)),
        };
    }

    public double Double(string name, double fallback)
        => _values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;
}

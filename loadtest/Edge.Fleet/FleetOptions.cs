using System.Globalization;
using Edge.Fleet.Links;
using Edge.LoadTest;

namespace Edge.Fleet;

/// <summary>The fleet run's settings, from <c>--name value</c> arguments.</summary>
internal sealed class FleetOptions
{
    public int Devices { get; private init; } = 20;

    public TimeSpan Duration { get; private init; } = TimeSpan.FromMinutes(1);

    /// <summary>After <see cref="Duration"/>: how long devices get to deliver what they queued before the run stops.</summary>
    public TimeSpan Drain { get; private init; } = TimeSpan.FromMinutes(3);

    /// <summary>Devices start spread over this long, as drivers leave the depot.</summary>
    public TimeSpan Ramp { get; private init; } = TimeSpan.FromSeconds(20);

    public int PhotoBytes { get; private init; } = 3_000_000;

    /// <summary>Pause between two stops of a device (the drive to the next door).</summary>
    public TimeSpan Delay { get; private init; } = TimeSpan.FromSeconds(20);

    /// <summary>Stops per minute per device; when set, the pause is whatever is left of 60/rate seconds after a stop.</summary>
    public double? Rate { get; private init; }

    public LinkProfile Link { get; private init; } = new();

    /// <summary>Share of the devices whose link is cut every <see cref="LinkProfile.CutEvery"/>.</summary>
    public double CutFraction { get; private init; } = 0.25;

    /// <summary>A running gateway (<c>http://host:port</c>); null: start one.</summary>
    public Uri? Gateway { get; private init; }

    /// <summary>The core simulator's address for the audit when <see cref="Gateway"/> is given.</summary>
    public Uri? Core { get; private init; }

    /// <summary>The gateway's signing key (base64) when <see cref="Gateway"/> is given.</summary>
    public string? SigningKey { get; private init; }

    /// <summary>When set, the gateway the fleet started is restarted (stopped, then started again) this long into the run.</summary>
    public TimeSpan RestartAt { get; private init; }

    /// <summary>How the restart stops the gateway: TERM (it drains and exits) or KILL (a crash).</summary>
    public string RestartSignal { get; private init; } = "TERM";

    public string? DataDirectory { get; private init; }

    public bool KeepData { get; private init; }

    public static FleetOptions Parse(string[] args)
    {
        var values = ScenarioArguments.Parse(args).Only("run",
            "devices", "duration", "drain", "ramp", "photo-bytes", "delay", "rate", "latency", "bandwidth", "loss", "cut-every",
            "cut-mode", "cut-fraction", "gateway", "core", "signing-key", "data", "keep-data", "restart-at", "restart-signal");
        var cutEvery = values.Duration("cut-every", TimeSpan.Zero);
        return new FleetOptions
        {
            Devices = values.Int("devices", 20),
            Duration = values.Duration("duration", TimeSpan.FromMinutes(1)),
            Drain = values.Duration("drain", TimeSpan.FromMinutes(3)),
            Ramp = values.Duration("ramp", TimeSpan.FromSeconds(20)),
            PhotoBytes = values.Int("photo-bytes", 3_000_000),
            Delay = values.Duration("delay", TimeSpan.FromSeconds(20)),
            Rate = values.String("rate") is { } rate ? double.Parse(rate, CultureInfo.InvariantCulture) : null,
            Link = new LinkProfile
            {
                Latency = values.Duration("latency", TimeSpan.FromMilliseconds(200)),
                BitsPerSecond = Bandwidth.Parse(values.String("bandwidth") ?? "1mbit"),
                Loss = values.Double("loss", 0) / 100,
                CutEvery = cutEvery,
                CutMode = values.String("cut-mode") == "half-open" ? CutMode.HalfOpen : CutMode.Reset,
            },
            CutFraction = values.Double("cut-fraction", 0.25),
            RestartAt = values.Duration("restart-at", TimeSpan.Zero),
            RestartSignal = values.String("restart-signal")?.ToUpperInvariant() switch
            {
                null or "TERM" => "TERM",
                "KILL" => "KILL",
                var other => throw new ArgumentException($"--restart-signal is TERM or KILL, not {other}"),
            },
            Gateway = values.String("gateway") is { } gateway ? new Uri(gateway.Contains("://", StringComparison.Ordinal) ? gateway : "http://" + gateway) : null,
            Core = values.String("core") is { } core ? new Uri(core.Contains("://", StringComparison.Ordinal) ? core : "http://" + core) : null,
            SigningKey = values.String("signing-key"),
            DataDirectory = values.String("data"),
            KeepData = values.String("keep-data") == "true",
        };
    }
}

/// <summary>Link rates as <c>tc</c> writes them.</summary>
internal static class Bandwidth
{
    /// <summary><c>1mbit</c>, <c>512kbit</c>, <c>0</c> (unlimited) or bits per second.</summary>
    public static long Parse(string value)
    {
        value = value.ToLowerInvariant();
        return value switch
        {
            _ when value.EndsWith("mbit", StringComparison.Ordinal) => (long)(double.Parse(value[..^4], CultureInfo.InvariantCulture) * 1_000_000),
            _ when value.EndsWith("kbit", StringComparison.Ordinal) => (long)(double.Parse(value[..^4], CultureInfo.InvariantCulture) * 1_000),
            _ => long.Parse(value, CultureInfo.InvariantCulture),
        };
    }
}

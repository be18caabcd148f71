namespace Edge.Fleet.Links;

/// <summary>How a device's link behaves. The same in both directions, as a cellular link roughly is.</summary>
internal sealed record LinkProfile
{
    /// <summary>One-way delay added to every segment. Zero: none.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Bits per second in each direction. Zero: unlimited.</summary>
    public long BitsPerSecond { get; init; }

    /// <summary>
    /// Probability per forwarded segment that it is "lost": TCP above the link sees a loss as a stall until the
    /// retransmission arrives, so the direction holds for <see cref="StallTime"/> (in order, nothing is dropped).
    /// </summary>
    public double Loss { get; init; }

    /// <summary>Every this long, every connection of the link is cut. Zero: never.</summary>
    public TimeSpan CutEvery { get; init; }

    /// <summary>How a cut looks to both ends.</summary>
    public CutMode CutMode { get; init; } = CutMode.Reset;

    public bool Shaped => Latency > TimeSpan.Zero || BitsPerSecond > 0 || Loss > 0;

    /// <summary>How long a lost segment holds its direction: a retransmission timeout of about two round trips.</summary>
    public TimeSpan StallTime => TimeSpan.FromMilliseconds(Math.Max(200, 4 * Latency.TotalMilliseconds));

    public string Describe()
    {
        var parts = new List<string>
        {
            BitsPerSecond > 0 ? $"{BitsPerSecond / 1e6:0.###} Mbit/s" : "unlimited",
            $"{Latency.TotalMilliseconds:0} ms one-way",
        };
        if (Loss > 0)
        {
            parts.Add($"{Loss:P1} loss as stalls");
        }

        return string.Join(", ", parts);
    }
}

/// <summary>What a cut does to the connections of a link.</summary>
internal enum CutMode
{
    /// <summary>Both ends see it at once: the device's and the gateway's sockets are reset.</summary>
    Reset,

    /// <summary>
    /// The link goes dead without a word: nothing more passes either way and the gateway's socket stays open
    /// (half-open) until the run ends. The device learns of it the way a phone does, from a network change
    /// (the fleet calls <c>NotifyNetworkChanged</c>), and its side is closed; the gateway still holds the old stream.
    /// </summary>
    HalfOpen,
}

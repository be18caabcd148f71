namespace Edge.Gateway.Core;

/// <summary>How the gateway reaches the carrier's core system. Bound from <c>Edge:Core</c>.</summary>
public sealed class CoreOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Core";

    /// <summary>
    /// Address of the core's <c>core.v1</c> gRPC endpoint, e.g. <c>http://core:5090</c>. When empty (the zero-setup
    /// default) the gateway starts the core simulator inside its own process, on a loopback port, and forwards to it
    /// over real gRPC. Default: empty.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// Bearer token the gateway sends on every call to the core (<c>authorization</c>), which the core checks
    /// (the simulator: <c>CoreSim:AccessToken</c>). Required with <see cref="Address"/>; use an <c>https://</c> address
    /// beyond a private network. With the in-process simulator a random one is made per process when empty.
    /// Default: empty.
    /// </summary>
    public string? AccessToken { get; set; }

    /// <summary>Loopback port of the in-process core simulator; 0 lets the OS choose. Default: 0.</summary>
    public int EmbeddedPort { get; set; }

    /// <summary>Deadline of each call to the core. Default: 10 seconds.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest pause between two attempts to reconnect to a core that stopped answering (the gRPC channel's reconnect
    /// backoff starts at this and never grows beyond it), so the core's return is noticed within about this long
    /// however long it was away. Default: 500 ms.
    /// </summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>True when the gateway runs the simulator itself.</summary>
    public bool UsesEmbeddedSimulator => string.IsNullOrWhiteSpace(Address);
}

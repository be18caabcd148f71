using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Hosting;

/// <summary>
/// Limits on client connections, so that no client, with or without a token, can use up the gateway's file
/// descriptors or memory by opening connections. Bound from <c>Edge:Connections</c>.
/// </summary>
public sealed class ConnectionOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Connections";

    /// <summary>
    /// Most client connections open at once (Kestrel's <c>MaxConcurrentConnections</c>); one more is closed as soon as
    /// it is accepted. Each takes one file descriptor, so keep it well below the process's <c>nofile</c> limit: on start
    /// the gateway lowers it to the limit less <see cref="ReservedDescriptors"/> and says so. Default: 10,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// File descriptors kept for everything but client connections (the SQLite file, staging and blob files, Redis,
    /// the core, the runtime). Default: 2,048.
    /// </summary>
    [Range(64, 1_000_000)]
    public int ReservedDescriptors { get; set; } = 2048;

    /// <summary>
    /// A new connection must send its first bytes (the HTTP/2 client preface on cleartext, the TLS ClientHello on TLS)
    /// within this time, else it is closed. Default: 5 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan PrefaceTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A TLS handshake must finish within this time, else the connection is closed. Default: 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

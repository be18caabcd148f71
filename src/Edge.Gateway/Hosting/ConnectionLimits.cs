using System.Globalization;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Edge.Gateway.Hosting;

/// <summary>
/// Kestrel settings that keep connections from exhausting the process: a connection limit under the descriptor limit,
/// a deadline for a connection's first bytes and for the TLS handshake.
/// </summary>
internal static class ConnectionLimits
{
    /// <summary>Length of the HTTP/2 client connection preface (<c>PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n</c>).</summary>
    public const int PrefaceLength = 24;

    /// <summary>Applies <paramref name="options"/> to Kestrel; returns the connection limit in force.</summary>
    public static int Apply(KestrelServerOptions kestrel, ConnectionOptions options, long? descriptorLimit, int writingUploads)
    {
        var limit = EffectiveLimit(options, descriptorLimit, writingUploads);
        kestrel.Limits.MaxConcurrentConnections = limit;
        kestrel.Limits.MaxConcurrentUpgradedConnections = limit;
        kestrel.ConfigureHttpsDefaults(https => https.HandshakeTimeout = options.TlsHandshakeTimeout);
        return limit;
    }

    /// <summary>
    /// The configured limit, lowered to the descriptor limit less the reserve and the staging files of
    /// <paramref name="writingUploads"/> upload streams when that is smaller.
    /// </summary>
    public static int EffectiveLimit(ConnectionOptions options, long? descriptorLimit, int writingUploads)
        => descriptorLimit is { } nofile && nofile - options.ReservedDescriptors - writingUploads < options.MaxConnections
            ? (int)Math.Max(16, nofile - options.ReservedDescriptors - writingUploads)
            : options.MaxConnections;

    /// <summary>
    /// Connection middleware: closes a connection that has not sent <see cref="PrefaceLength"/> bytes within the timeout.
    /// Nothing is consumed, so Kestrel (or TLS) reads the same bytes afterwards.
    /// </summary>
    public static ConnectionDelegate RequireFirstBytes(ConnectionDelegate next, TimeSpan timeout, Action<ConnectionContext>? onTimeout = null)
        => async connection =>
        {
            var input = connection.Transport.Input;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
            {
                deadline.CancelAfter(timeout);
                try
                {
                    var read = await input.ReadAtLeastAsync(PrefaceLength, deadline.Token);
                    input.AdvanceTo(read.Buffer.Start);
                    if (read.IsCompleted && read.Buffer.Length < PrefaceLength)
                    {
                        return;
                    }
                }
                catch (OperationCanceledException)
                {
                    onTimeout?.Invoke(connection);
                    connection.Abort(new ConnectionAbortedException("No HTTP/2 preface within the timeout."));
                    return;
                }
            }

            await next(connection);
        };

    /// <summary>
    /// The soft <c>nofile</c> limit of this process, or of the process whose <c>/proc/PID/limits</c> is
    /// <paramref name="limitsFile"/> (Linux), or null where unknown.
    /// </summary>
    public static long? ReadDescriptorLimit(string limitsFile = "/proc/self/limits")
    {
        try
        {
            if (!File.Exists(limitsFile))
            {
                return null;
            }

            foreach (var line in File.ReadLines(limitsFile))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var soft) ? soft : null;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}

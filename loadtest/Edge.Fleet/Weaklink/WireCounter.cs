using System.Globalization;

namespace Edge.Fleet.Weaklink;

/// <summary>
/// Bytes a network device of this process's namespace has sent (<c>/proc/net/dev</c>, transmit bytes): headers,
/// retransmissions and whatever a cut threw away included, i.e. what crossed the link. The link's random loss makes
/// the retransmissions vary by tens of KB from run to run, so the count is also given without them (TCP's
/// retransmitted segments from <c>/proc/net/snmp</c>, each taken as a full frame): that part is what cuts change.
/// </summary>
internal sealed class WireCounter(string device)
{
    /// <summary>A full TCP segment on the wire: a 1500-byte IP packet and the 14-byte Ethernet header.</summary>
    private const int FullFrame = 1514;

    public string Device => device;

    /// <summary>Transmitted bytes so far, with and without TCP's retransmissions; null when the device is not here.</summary>
    public (long Bytes, long FirstSent)? Sent()
    {
        foreach (var line in File.ReadLines("/proc/net/dev"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || line[..colon].Trim() != device)
            {
                continue;
            }

            // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes ...
            var bytes = long.Parse(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[8], CultureInfo.InvariantCulture);
            return (bytes, bytes - (RetransmittedSegments() * FullFrame));
        }

        return null;
    }

    private static long RetransmittedSegments()
    {
        var lines = File.ReadLines("/proc/net/snmp").Where(l => l.StartsWith("Tcp:", StringComparison.Ordinal)).ToList();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "RetransSegs")], CultureInfo.InvariantCulture);
    }
}

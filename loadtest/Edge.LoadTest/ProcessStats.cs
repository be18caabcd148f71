namespace Edge.LoadTest;

/// <summary>Figures about this process from /proc.</summary>
internal static class ProcessStats
{
    /// <summary>Peak resident set size (VmHWM), in bytes.</summary>
    public static long PeakRssBytes() => ReadStatusKb("VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS), in bytes.</summary>
    public static long RssBytes() => ReadStatusKb("VmRSS:") * 1024;

    private static long ReadStatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}

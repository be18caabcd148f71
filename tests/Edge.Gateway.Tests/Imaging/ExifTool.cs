using System.Diagnostics;
using System.Text.Json;

namespace Edge.Gateway.Tests.Imaging;

/// <summary>
/// Runs exiftool (Debian package libimage-exiftool-perl, see tests/REQUIREMENTS.md) as an independent reader.
/// </summary>
internal static class ExifTool
{
    /// <summary>Every tag exiftool finds, as "Group:Tag" → value (numeric values unconverted).</summary>
    public static Dictionary<string, string> ReadTags(string path)
    {
        ProcessStartInfo start = new("exiftool") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-j", "-a", "-G1", "-n", "-u", path })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("exiftool is not installed: apt-get install libimage-exiftool-perl (see tests/REQUIREMENTS.md).", ex);
        }

        using (process)
        {
            var json = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            using var document = JsonDocument.Parse(json);
            return document.RootElement[0].EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
        }
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Uploads;

/// <summary>The steps of an upload's completion, in order; a crash after any of them is recovered by the next attempt.</summary>
public enum CompletionStep
{
    /// <summary>No step (fault injection off).</summary>
    None = 0,

    /// <summary>The whole object is one file, its digest verified.</summary>
    Assembled = 1,

    /// <summary>The photo pipeline has cleaned and measured it (outputs in the work folder).</summary>
    Processed = 2,

    /// <summary>The cleaned photo and its thumbnail are in the content-addressed store (not yet recorded).</summary>
    Stored = 3,

    /// <summary>The blob index records the photo and the device's hold; the session is complete.</summary>
    Indexed = 4,

    /// <summary>The staged bytes are removed.</summary>
    StagingRemoved = 5,
}

/// <summary>Crash testing of completions. Bound from <c>Edge:Diagnostics</c>; off unless both settings are given.</summary>
public sealed class DiagnosticsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Diagnostics";

    /// <summary>Allows the crash below; for crash tests only, never in production. Default: false.</summary>
    public bool EnableFaultInjection { get; set; }

    /// <summary>The process kills itself (SIGKILL) right after this completion step. Default: None.</summary>
    public CompletionStep CrashAfterCompletionStep { get; set; }
}

/// <summary>
/// Named points between the steps of a completion. In tests an action runs at each (throwing there interrupts the
/// completion as a crash would); with <see cref="DiagnosticsOptions"/> set, the process kills itself there.
/// </summary>
internal sealed class CompletionFaults(IOptions<DiagnosticsOptions> options)
{
    /// <summary>Runs at every step; for tests.</summary>
    public Action<CompletionStep>? OnStep { get; set; }

    public void Reached(CompletionStep step)
    {
        OnStep?.Invoke(step);
        var diagnostics = options.Value;
        if (diagnostics.EnableFaultInjection && diagnostics.CrashAfterCompletionStep == step)
        {
            using var self = Process.GetCurrentProcess();
            self.Kill();
        }
    }
}

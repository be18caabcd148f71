using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Scans;

/// <summary>Checks on scans and proofs as they arrive. Bound from <c>Edge:Intake</c>.</summary>
public sealed class IntakeOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Edge:Intake";

    /// <summary>Most events in one <c>RecordScans</c> call; the events of a larger batch are all rejected. Default: 500.</summary>
    [Range(1, 500)]
    public int MaxScanBatch { get; set; } = 500;

    /// <summary>How far ahead of the gateway's clock a device time may be (device clocks drift). Default: 5 minutes.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);
}

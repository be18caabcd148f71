using ImageMagick;

namespace Edge.Gateway.Imaging;

/// <summary>
/// ImageMagick's resource limits, a process-wide backstop behind the pipeline's own header checks.
/// </summary>
/// <remarks>
/// The limits are global to the native library, so with several pipelines in one process (tests) they
/// only ever widen to the largest caps asked for; each pipeline still enforces its own caps from the header.
/// Disk is always 0: a pixel cache that does not fit in memory fails instead of spilling to disk.
/// </remarks>
internal static class DecoderLimits
{
    private static readonly Lock Gate = new();
    private static bool _applied;

    /// <summary>Applies <paramref name="options"/>' caps (widening only) and returns the limits in force.</summary>
    public static (ulong Width, ulong Height, ulong Area, ulong Memory, ulong Disk) Apply(PhotoOptions options)
    {
        lock (Gate)
        {
            var side = (ulong)options.MaxSide;
            var area = (ulong)options.MaxPixels;
            var memory = (ulong)options.DecoderMemoryBytes;
            if (_applied)
            {
                side = Math.Max(side, ResourceLimits.Width);
                area = Math.Max(area, ResourceLimits.Area);
                memory = Math.Max(memory, ResourceLimits.Memory);
            }

            ResourceLimits.Width = side;
            ResourceLimits.Height = side;
            ResourceLimits.Area = area;
            ResourceLimits.Memory = memory;
            ResourceLimits.Disk = 0;
            _applied = true;
            return (ResourceLimits.Width, ResourceLimits.Height, ResourceLimits.Area, ResourceLimits.Memory, ResourceLimits.Disk);
        }
    }
}

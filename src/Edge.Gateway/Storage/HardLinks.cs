using System.Runtime.InteropServices;

namespace Edge.Gateway.Storage;

/// <summary>What <see cref="HardLinks.TryLink"/> did.</summary>
internal enum LinkOutcome
{
    /// <summary>The new name now names the existing file.</summary>
    Linked,

    /// <summary>The new name was taken already (by another writer); nothing was replaced.</summary>
    TargetExists,

    /// <summary>No link could be made here (another filesystem, a platform without hard links): copy or move instead.</summary>
    NotPossible,
}

/// <summary>
/// A second name for a file, made by link(2): atomic and never replacing, so of two writers racing to one name exactly
/// one wins and the other learns it. (.NET's <c>File.Move</c> without overwrite is not that on every filesystem.)
/// </summary>
internal static partial class HardLinks
{
    private const int ErrnoExists = 17;

    public static LinkOutcome TryLink(string existing, string created)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return LinkOutcome.NotPossible;
        }

        if (Link(existing, created) == 0)
        {
            return LinkOutcome.Linked;
        }

        return Marshal.GetLastPInvokeError() == ErrnoExists ? LinkOutcome.TargetExists : LinkOutcome.NotPossible;
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string created);
}

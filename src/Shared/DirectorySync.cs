using System.Runtime.InteropServices;

namespace Edge.Shared;

/// <summary>
/// fsync of a directory, so that a file created or renamed into it survives a crash along with its synced bytes.
/// .NET has no API for it; on platforms without a directory fsync it is a no-op.
/// </summary>
internal static partial class DirectorySync
{
    private const int OpenReadOnly = 0;
    private const int LinuxOpenDirectory = 0x10000;
    private const int MacOpenDirectory = 0x100000;

    /// <summary>Makes the directory's entries durable.</summary>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static void Sync(string directory)
    {
        int flags;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsAndroid())
        {
            flags = OpenReadOnly | LinuxOpenDirectory;
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsIOS())
        {
            flags = OpenReadOnly | MacOpenDirectory;
        }
        else
        {
            return;
        }

        var fd = Open(directory, flags);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

using Edge.Shared;

namespace Edge.Client.Outbox;

/// <summary>
/// Files that are either wholly there or not at all after a crash or a pulled battery: written to a temporary name,
/// fsync'd, renamed into place, and the directory fsync'd so the rename itself is durable. On Unix every file is
/// created readable and writable by the app's user alone (0600), every directory 0700.
/// </summary>
internal static class DurableFile
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDirectory = OwnerFile | UnixFileMode.UserExecute;

    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        using (var stream = Create(temp, FileMode.Create, FileOptions.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>Creates (or truncates) a file only the app's user can read.</summary>
    public static FileStream Create(string path, FileMode mode, FileOptions options)
    {
        var settings = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1, Options = options };
        if (!OperatingSystem.IsWindows())
        {
            settings.UnixCreateMode = OwnerFile;
        }

        return new FileStream(path, settings);
    }

    /// <summary>Creates a directory only the app's user can enter, or narrows an existing one to that.</summary>
    public static string CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path).FullName;
        }

        var directory = Directory.CreateDirectory(path, OwnerDirectory);
        if ((directory.UnixFileMode & ~OwnerDirectory) != 0)
        {
            directory.UnixFileMode = OwnerDirectory;
        }

        return directory.FullName;
    }

    /// <summary>Narrows a file an older version made to the app's user alone.</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerFile) != 0)
        {
            File.SetUnixFileMode(path, OwnerFile);
        }
    }

    /// <summary>Best effort: where libc cannot be reached the rename is still atomic, only not yet durable.</summary>
    public static void SyncDirectory(string path)
    {
        try
        {
            DirectorySync.Sync(path);
        }
        catch (Exception e) when (e is IOException or DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }
}

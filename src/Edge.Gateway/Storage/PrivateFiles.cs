namespace Edge.Gateway.Storage;

/// <summary>
/// Files and folders of the data directory, readable by the gateway's user only: folders 0700, files 0600 (the state
/// file, staged bytes, photos, the signing key). Positions, notes and photos of doorsteps are nobody else's business
/// on a shared host. Modes are set when a file is created, never widened for a moment.
/// </summary>
internal static class PrivateFiles
{
    /// <summary>Mode of every file the gateway creates: read and write for its user only.</summary>
    public const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Mode of every folder the gateway creates: its user only.</summary>
    public const UnixFileMode FolderMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates a folder, and each missing parent, with mode 0700; existing ones are left as they are.</summary>
    public static DirectoryInfo CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }

        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full) && Path.GetDirectoryName(full) is { } parent)
        {
            // Directory.CreateDirectory(path, mode) gives the mode to the last folder only.
            CreateDirectory(parent);
        }

        return Directory.CreateDirectory(full, FolderMode700);
    }

    /// <summary>
    /// The data directory itself: created with mode 0700, or narrowed to 0700 when it exists with a wider mode (a
    /// directory made by an earlier version, or by a deployment tool with the default umask).
    /// </summary>
    public static void CreateDataDirectory(string path)
    {
        var directory = CreateDirectory(path);
        if (!OperatingSystem.IsWindows() && (directory.UnixFileMode & ~FolderMode700) != 0)
        {
            directory.UnixFileMode = FolderMode700;
        }
    }

    /// <summary>A file stream whose file, if this call creates it, has mode 0600.</summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize = 0, FileOptions options = FileOptions.None)
    {
        var settings = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize, Options = options };
        if (!OperatingSystem.IsWindows() && mode is FileMode.CreateNew or FileMode.Create or FileMode.OpenOrCreate)
        {
            settings.UnixCreateMode = FileMode600;
        }

        return new FileStream(path, settings);
    }

    /// <summary>Narrows an existing file to mode 0600 (a file another library created with the process's umask).</summary>
    public static void Narrow(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~FileMode600) != 0)
        {
            File.SetUnixFileMode(path, FileMode600);
        }
    }

    /// <summary>
    /// Makes sure <paramref name="path"/> exists with mode 0600 before a library (SQLite) opens it, and narrows an
    /// existing file (and its <c>-wal</c> and <c>-shm</c> companions, which SQLite creates with the main file's mode).
    /// </summary>
    public static void Prepare(string path)
    {
        using (Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
        }

        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            if (File.Exists(file))
            {
                Narrow(file);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="contents"/> to <paramref name="path"/> unless it exists, atomically: into a work file of a
    /// unique name created exclusively with mode 0600, flushed to disk, then linked to its name without replacing
    /// anything. Two processes racing end with one of the two files whole, never a mix and never a readable moment.
    /// </summary>
    public static void CreateOnce(string path, string contents)
    {
        var work = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = Open(work, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(System.Text.Encoding.ASCII.GetBytes(contents));
                stream.Flush(flushToDisk: true);
            }

            // A link, not File.Move: a move without overwrite can replace a file another replica linked a moment before.
            if (HardLinks.TryLink(work, path) == LinkOutcome.NotPossible)
            {
                try
                {
                    File.Move(work, path, overwrite: false);
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Another replica created it first; its key is the one everybody uses.
                }
            }
        }
        finally
        {
            File.Delete(work);
        }
    }
}

using Edge.Shared;

namespace Edge.CoreSim.Storage;

/// <summary>
/// Makes file system changes durable: file contents by fsync, and creations and renames by fsync of the
/// directory that holds them (without which a crash can lose a renamed file even though its bytes were synced).
/// </summary>
internal static class DurableFile
{
    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> atomically: temp file, fsync, rename, fsync directory.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        DirectorySync.Sync(directory);
    }
}

namespace Edge.Gateway.Storage;

/// <summary>fsync of a file's contents (directories: <see cref="Edge.Shared.DirectorySync"/>).</summary>
internal static class FileSync
{
    /// <summary>Makes a file's contents durable.</summary>
    public static void SyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 1);
        stream.Flush(flushToDisk: true);
    }
}

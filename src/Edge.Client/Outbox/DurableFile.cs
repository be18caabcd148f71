using Edge.Shared;
using System.Security.Cryptography;

namespace Edge.Client.Outbox;

/// <summary>
/// Files that are either wholly there or not at all after a crash or a pulled battery: written to a temporary name,
/// fsync'd, renamed into place, and the directory fsync'd so the rename itself is durable.
/// </summary>
internal static class DurableFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="directory"/> under its SHA-256; returns the digest.</summary>
    public static async Task<string> ImportAsync(Stream source, string directory, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(directory, $"incoming-{Guid.NewGuid():N}.tmp");
        string digest;
        try
        {
            await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                target.Flush(flushToDisk: true);
                digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            File.Move(temp, Path.Combine(directory, digest), overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        SyncDirectory(directory);
        return digest;
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

using System.Security.Cryptography;
using Edge.Gateway.Hosting;
using Edge.Gateway.Storage;
using Edge.Shared;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Blobs;

/// <summary>How <see cref="BlobStore.Put"/> treats its source file.</summary>
internal enum PutMode
{
    /// <summary>The source is the caller's scratch file: it is moved into the store (or deleted when the store has it).</summary>
    Move,

    /// <summary>The source stays where it is (staged bytes the caller still needs): the store links or copies it.</summary>
    Keep,
}

/// <summary>A file in the store.</summary>
/// <param name="Sha256">Its SHA-256, lowercase hex, as the store computed it.</param>
/// <param name="SizeBytes">Its length.</param>
internal readonly record struct StoredFile(string Sha256, long SizeBytes);

/// <summary>
/// Content-addressed files on disk: <c>blobs/sha256/ab/abcdef…</c> under the data directory. The store computes the
/// digest of every file it takes, makes the bytes durable before the name appears (fsync, then an atomic rename or
/// link, then a directory fsync), so a reader never sees a partial file and the same bytes are stored once. It knows
/// nothing of who uses a file: the blob index counts references and says when a file may go.
/// </summary>
internal sealed class BlobStore
{
    private readonly string _root;
    private readonly string _temp;

    public BlobStore(IOptions<EdgeOptions> options)
    {
        var data = Path.GetFullPath(options.Value.DataDirectory);
        _root = Path.Combine(data, "blobs", "sha256");
        _temp = Path.Combine(data, "tmp", "blobs");
        PrivateFiles.CreateDataDirectory(data);
        PrivateFiles.CreateDirectory(_root);
        PrivateFiles.CreateDirectory(_temp);
    }

    /// <summary>The store's root (<c>blobs/sha256</c>).</summary>
    public string Root => _root;

    /// <summary>The store's own scratch folder (copies in progress); same filesystem as the store.</summary>
    public string TempRoot => _temp;

    /// <summary>The path a file with this digest has (whether or not it exists).</summary>
    public string PathFor(string sha256) => Path.Combine(_root, sha256[..2], sha256);

    /// <summary>True when the file is stored.</summary>
    public bool Exists(string sha256) => File.Exists(PathFor(sha256));

    /// <summary>Opens a stored file for reading.</summary>
    public FileStream OpenRead(string sha256)
        => new(PathFor(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);

    /// <summary>
    /// Stores the bytes of <paramref name="sourcePath"/> under their SHA-256 and returns it. When the store has them
    /// already, the existing file is kept (its time renewed, so a sweep of unreferenced files leaves it alone).
    /// </summary>
    public StoredFile Put(string sourcePath, PutMode mode)
    {
        var (sha256, size) = Hash(sourcePath);
        var target = PathFor(sha256);
        if (Renew(target))
        {
            if (mode == PutMode.Move)
            {
                File.Delete(sourcePath);
            }

            return new StoredFile(sha256, size);
        }

        var directory = Path.GetDirectoryName(target)!;
        PrivateFiles.CreateDirectory(directory);
        // Stored photos are the gateway's user's only (0600), whatever wrote the file (the image library, a copy).
        PrivateFiles.Narrow(sourcePath);
        FileSync.SyncFile(sourcePath);
        if (mode == PutMode.Move)
        {
            MoveNoReplace(sourcePath, target);
        }
        else if (!TryLink(sourcePath, target))
        {
            CopyIn(sourcePath, target);
        }

        DirectorySync.Sync(directory);
        return new StoredFile(sha256, size);
    }

    /// <summary>Deletes a stored file; false when it was not there.</summary>
    public bool Delete(string sha256)
    {
        var path = PathFor(sha256);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Stored files last written or renewed before <paramref name="before"/>, for the sweep of unreferenced files.</summary>
    public IEnumerable<string> ListOlderThan(DateTimeOffset before)
    {
        foreach (var file in new DirectoryInfo(_root).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            if (file.Name.Length == 64 && file.LastWriteTimeUtc < before.UtcDateTime)
            {
                yield return file.Name;
            }
        }
    }

    /// <summary>SHA-256 of a file, lowercase hex.</summary>
    public static string ComputeSha256(string path) => Hash(path).Sha256;

    private static (string Sha256, long Size) Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return (Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }

    private static bool Renew(string target)
    {
        try
        {
            // The file's time is compared with the wall clock by the sweep of unreferenced files.
            File.SetLastWriteTimeUtc(target, DateTime.UtcNow);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
    }

    private static void MoveNoReplace(string source, string target)
    {
        try
        {
            File.Move(source, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Another writer stored the same bytes first: identical content, keep theirs.
            File.Delete(source);
        }
    }

    // A hard link shares the staged file's blocks: nothing is written again. Where links are not possible (another
    // filesystem, a platform without them) the bytes are copied. A target stored meanwhile by another writer has the
    // same bytes.
    private static bool TryLink(string source, string target) => HardLinks.TryLink(source, target) != LinkOutcome.NotPossible;

    private void CopyIn(string source, string target)
    {
        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        try
        {
            File.Copy(source, temp);
            PrivateFiles.Narrow(temp);
            FileSync.SyncFile(temp);
            MoveNoReplace(temp, target);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

using Edge.Shared;
using System.Security.Cryptography;
using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage;

/// <summary>
/// Content-addressed blobs on disk: <c>blobs/sha256/ab/abcdef…</c> under the data directory. A blob appears by an
/// atomic rename of a synced file, so a reader never sees a partial blob, and the same bytes are stored once.
/// </summary>
internal sealed class BlobStore
{
    private readonly string _root;
    private readonly string _work;

    public BlobStore(IOptions<EdgeOptions> options)
    {
        var data = Path.GetFullPath(options.Value.DataDirectory);
        _root = Path.Combine(data, "blobs", "sha256");
        _work = Path.Combine(data, "tmp");
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_work);
    }

    /// <summary>Directory for work in progress (same filesystem as the store, so renames are atomic).</summary>
    public string WorkRoot => _work;

    /// <summary>The path a blob with this digest has (whether or not it exists).</summary>
    public string PathFor(string sha256) => Path.Combine(_root, sha256[..2], sha256);

    /// <summary>True when the blob is stored.</summary>
    public bool Exists(string sha256) => File.Exists(PathFor(sha256));

    /// <summary>Opens a stored blob for reading.</summary>
    public FileStream OpenRead(string sha256)
        => new(PathFor(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);

    /// <summary>A new, empty work directory.</summary>
    public string CreateWorkDirectory()
    {
        var path = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Moves <paramref name="sourcePath"/> into the store under <paramref name="sha256"/>, which the caller computed
    /// from its bytes. The source is synced first; when the blob already exists the source is deleted instead.
    /// </summary>
    public void Import(string sourcePath, string sha256)
    {
        var target = PathFor(sha256);
        if (File.Exists(target))
        {
            File.Delete(sourcePath);
            return;
        }

        FileSync.SyncFile(sourcePath);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        try
        {
            File.Move(sourcePath, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Another writer stored the same bytes first: identical content, keep theirs.
            File.Delete(sourcePath);
            return;
        }

        DirectorySync.Sync(directory);
    }

    /// <summary>Deletes a blob (after the core has it and its retention ran out).</summary>
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

    /// <summary>SHA-256 of a file, lowercase hex.</summary>
    public static string ComputeSha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

using Edge.Shared;
using System.Security.Cryptography;
using System.Text;
using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Storage;

/// <summary>
/// Staged bytes of unfinished uploads, on the shared data directory: one folder per upload, one segment file per
/// writer epoch (<c>staging/&lt;hash of upload id&gt;/&lt;epoch&gt;.seg</c>). A segment holds the object's bytes from
/// its start offset on.
/// </summary>
internal sealed class StagingArea
{
    private readonly string _root;

    public StagingArea(IOptions<EdgeOptions> options)
    {
        var data = Path.GetFullPath(options.Value.DataDirectory);
        PrivateFiles.CreateDataDirectory(data);
        _root = Path.Combine(data, "staging");
        PrivateFiles.CreateDirectory(_root);
    }

    /// <summary>The staging root.</summary>
    public string Root => _root;

    /// <summary>The folder of an upload. Upload ids are client-made, so the folder is named by their hash.</summary>
    public string FolderFor(string uploadId)
        => Path.Combine(_root, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(uploadId)))[..40]);

    /// <summary>The segment file of one writer epoch.</summary>
    public string SegmentPath(string uploadId, long epoch)
        => Path.Combine(FolderFor(uploadId), epoch.ToString("D10", System.Globalization.CultureInfo.InvariantCulture) + ".seg");

    /// <summary>Creates (or reopens) the segment file a writer writes to, with its directory entry durable.</summary>
    public FileStream OpenSegment(string uploadId, long epoch)
    {
        var folder = FolderFor(uploadId);
        var created = !Directory.Exists(folder);
        PrivateFiles.CreateDirectory(folder);
        var stream = PrivateFiles.Open(SegmentPath(uploadId, epoch), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        DirectorySync.Sync(folder);
        if (created)
        {
            DirectorySync.Sync(_root);
        }

        return stream;
    }

    /// <summary>
    /// Reads the committed bytes [0, <see cref="UploadSession.CommittedOffset"/>) of an upload, across its segments,
    /// into <paramref name="sink"/>, in order.
    /// </summary>
    public void ReadCommitted(UploadSession session, Action<ReadOnlySpan<byte>> sink)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            foreach (var (path, start, end) in Ranges(session))
            {
                if (end <= start)
                {
                    continue;
                }

                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var position = 0L;
                var length = end - start;
                while (position < length)
                {
                    var read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - position)), position);
                    if (read == 0)
                    {
                        throw new IOException($"Staging segment {path} is shorter than its committed range.");
                    }

                    sink(buffer.AsSpan(0, read));
                    position += read;
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The whole object as one file. A single segment from offset 0 is that file already; several are copied into
    /// <paramref name="workDirectory"/>.
    /// </summary>
    public string Assemble(UploadSession session, string workDirectory)
    {
        var ranges = Ranges(session).Where(r => r.End > r.Start).ToList();
        if (ranges is [{ Start: 0 } only] && new FileInfo(only.Path).Length == session.SizeBytes)
        {
            return only.Path;
        }

        var target = Path.Combine(workDirectory, "assembled");
        using (var output = PrivateFiles.Open(target, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            output.SetLength(session.SizeBytes);
            var position = 0L;
            ReadCommitted(session, span =>
            {
                RandomAccess.Write(output.SafeFileHandle, span, position);
                position += span.Length;
            });
        }

        return target;
    }

    /// <summary>True when the upload has a staging folder.</summary>
    public bool Exists(string uploadId) => Directory.Exists(FolderFor(uploadId));

    /// <summary>Removes an upload's staged bytes.</summary>
    public void Delete(string uploadId)
    {
        try
        {
            Directory.Delete(FolderFor(uploadId), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already removed (by the sweeper, or another replica).
        }
    }

    /// <summary>Bytes currently on disk under the staging root.</summary>
    public long MeasureBytes()
        => Directory.Exists(_root)
            ? new DirectoryInfo(_root).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;

    private IEnumerable<(string Path, long Start, long End)> Ranges(UploadSession session)
    {
        var segments = session.Segments;
        for (var i = 0; i < segments.Count; i++)
        {
            var end = i + 1 < segments.Count ? segments[i + 1].Start : session.CommittedOffset;
            yield return (SegmentPath(session.UploadId, segments[i].Epoch), segments[i].Start, end);
        }
    }
}

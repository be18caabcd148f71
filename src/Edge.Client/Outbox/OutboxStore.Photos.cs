using System.Security.Cryptography;
using Edge.Client.Uploads;

namespace Edge.Client.Outbox;

/// <summary>The outbox's photo copies: sealed as they are copied in, checked as they are read, released when no proof names them.</summary>
internal sealed partial class OutboxStore
{
    /// <summary>
    /// Copies a photo into the outbox under its digest and pins it, so it is not released before the proof that will
    /// name it is queued (or the upload that needs it is done). Unpin with <see cref="UnpinPhoto"/>. The copy is sealed
    /// as it is read (under a temporary identity, then once more under its digest), so no plaintext reaches the disk.
    /// </summary>
    public async Task<string> ImportPhotoAsync(Stream photo, CancellationToken cancellationToken)
    {
        var incoming = $"incoming-{Guid.NewGuid():N}";
        var temp = Path.Combine(PhotoDirectory, incoming + ".tmp");
        string digest;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var target = DurableFile.Create(temp, FileMode.CreateNew, FileOptions.Asynchronous))
            {
                await _cipher.CopySealedAsync(photo.ReadAsync, target, Identity(OutboxEntryKind.Photo, incoming), hash.AppendData, cancellationToken).ConfigureAwait(false);
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                target.Flush(flushToDisk: true);
            }

            digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            var path = PhotoPath(digest);
            if (_cipher.Encrypts)
            {
                await ResealAsync(temp, Identity(OutboxEntryKind.Photo, incoming), path, Identity(OutboxEntryKind.Photo, digest), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                File.Move(temp, path, overwrite: true);
            }
        }
        finally
        {
            File.Delete(temp);
        }

        DurableFile.SyncDirectory(PhotoDirectory);
        lock (_gate)
        {
            _pinned[digest] = _pinned.GetValueOrDefault(digest) + 1;
        }

        return digest;
    }

    public void UnpinPhoto(string digest)
    {
        lock (_gate)
        {
            if (_pinned.TryGetValue(digest, out var count) && count > 1)
            {
                _pinned[digest] = count - 1;
            }
            else
            {
                _pinned.Remove(digest);
            }

            ReleasePhotos();
        }
    }

    /// <summary>A photo copy, read to check it is whole and is the photo its name says.</summary>
    /// <exception cref="DamagedEntryException">It does not open, or holds another photo; it was moved aside and reported.</exception>
    public async Task<PhotoFile> ReadPhotoAsync(string digest, CancellationToken cancellationToken)
    {
        var path = PhotoPath(digest);
        try
        {
            var photo = await PhotoFile.ReadAsync(_cipher, path, Identity(OutboxEntryKind.Photo, digest), cancellationToken).ConfigureAwait(false);
            return photo.Sha256 == digest ? photo : throw new DamagedEntryException("it holds another photo than its name says");
        }
        catch (DamagedEntryException e)
        {
            Quarantine(path, OutboxEntryKind.Photo, e.Message);
            throw;
        }
    }

    public string PhotoPath(string digest) => Path.Combine(PhotoDirectory, digest);

    /// <summary>Deletes photo copies that no queued or rejected proof names and nothing has pinned. Under the lock.</summary>
    private void ReleasePhotos()
    {
        var named = PendingProofs()
            .Concat(ProofFiles(_rejected).Select(f => ReadOrNull(f, OutboxEntryKind.Proof, QueuedProof.Parse)).OfType<QueuedProof>())
            .SelectMany(p => p.Request.PhotoSha256)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var photo in Directory.EnumerateFiles(PhotoDirectory).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            var digest = Path.GetFileName(photo);
            if (!named.Contains(digest) && !_pinned.ContainsKey(digest))
            {
                File.Delete(photo);
            }
        }
    }

    /// <summary>Opens a sealed copy under one identity and seals it under another, a segment at a time.</summary>
    private async Task ResealAsync(string from, string fromIdentity, string to, string toIdentity, CancellationToken cancellationToken)
    {
        var temp = to + ".tmp";
        using (var content = _cipher.OpenContent(from, fromIdentity))
        await using (var target = DurableFile.Create(temp, FileMode.Create, FileOptions.Asynchronous))
        {
            long offset = 0;
            async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken token)
            {
                var read = await content.ReadAsync(buffer, offset, token).ConfigureAwait(false);
                offset += read;
                return read;
            }

            await _cipher.CopySealedAsync(ReadAsync, target, toIdentity, static _ => { }, cancellationToken).ConfigureAwait(false);
            await target.FlushAsync(cancellationToken).ConfigureAwait(false);
            target.Flush(flushToDisk: true);
        }

        File.Move(temp, to, overwrite: true);
    }
}

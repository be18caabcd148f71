using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Edge.Client.Outbox;

/// <summary>
/// How outbox files are kept at rest: sealed with AES-256-GCM under the app's key, or, when the app chose an
/// unencrypted outbox, as they are.
/// </summary>
/// <remarks>
/// <para>
/// A sealed file is <c>"EOB1"</c>, the segment size (u32, big-endian), then segments of at most that many plaintext
/// bytes, each <c>nonce (12, random per segment and write) | ciphertext | tag (16)</c>. Every segment but the last is
/// full; an empty file is one empty segment. Segments let a photo be read at any offset (an upload resumes mid-file)
/// without decrypting what comes before.
/// </para>
/// <para>
/// Each segment's associated data binds it to the file's identity (its kind and name in the outbox, e.g.
/// <c>proof/…</c>), its index and whether it is the last: a file renamed over another, segments reordered or swapped
/// between files, or a file cut at a segment boundary all fail to open, like any changed byte.
/// </para>
/// </remarks>
internal sealed class OutboxCipher
{
    public const int KeyBytes = 32;
    public const int SegmentBytes = 64 * 1024;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int HeaderBytes = 8;
    private const int Overhead = NonceBytes + TagBytes;

    private readonly byte[]? _key;

    /// <param name="key">The AES-256 key, or null for files kept as they are.</param>
    public OutboxCipher(byte[]? key)
    {
        if (key is not null && !AesGcm.IsSupported)
        {
            throw new PlatformNotSupportedException("AES-GCM is not available on this platform, so the outbox cannot be encrypted.");
        }

        _key = key?.ToArray();
    }

    /// <summary>Files kept as they are: the device's own photos, and an outbox the app chose not to encrypt.</summary>
    public static OutboxCipher Plain { get; } = new(null);

    public bool Encrypts => _key is not null;

    private static ReadOnlySpan<byte> Magic => "EOB1"u8;

    /// <summary>The file's bytes at rest for <paramref name="content"/>.</summary>
    public byte[] Seal(ReadOnlySpan<byte> content, string identity)
    {
        if (_key is null)
        {
            return content.ToArray();
        }

        var segments = Math.Max(1, (content.Length + SegmentBytes - 1) / SegmentBytes);
        var output = new byte[HeaderBytes + content.Length + (segments * Overhead)];
        WriteHeader(output);
        using var aes = new AesGcm(_key, TagBytes);
        var at = HeaderBytes;
        for (var index = 0; index < segments; index++)
        {
            var plain = content.Slice(index * SegmentBytes, Math.Min(SegmentBytes, content.Length - (index * SegmentBytes)));
            at += SealSegment(aes, plain, output.AsSpan(at), identity, index, index == segments - 1);
        }

        return output;
    }

    /// <summary>The content of a file's bytes at rest.</summary>
    /// <exception cref="DamagedEntryException">The bytes were changed, cut, swapped, or sealed under another key.</exception>
    public byte[] Open(ReadOnlySpan<byte> stored, string identity)
    {
        if (_key is null)
        {
            return stored.ToArray();
        }

        var length = PlainLength(stored.Length, stored.Length >= HeaderBytes ? stored[..HeaderBytes] : default);
        var content = new byte[length];
        var segments = SegmentCount(stored.Length);
        using var aes = new AesGcm(_key, TagBytes);
        for (var index = 0; index < segments; index++)
        {
            var start = HeaderBytes + (index * (SegmentBytes + Overhead));
            var sealedSegment = stored.Slice(start, Math.Min(SegmentBytes + Overhead, stored.Length - start));
            OpenSegment(aes, sealedSegment, content.AsSpan(index * SegmentBytes, sealedSegment.Length - Overhead), identity, index, index == segments - 1);
        }

        return content;
    }

    /// <summary>Seals what <paramref name="read"/> gives, segment by segment, into <paramref name="target"/>.</summary>
    /// <param name="read">Reads the next bytes into the buffer; 0 at the end (a <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/>).</param>
    /// <param name="target">Where the sealed file goes.</param>
    /// <param name="identity">What the segments are bound to.</param>
    /// <param name="plaintext">Told every plaintext byte, in order (to hash them).</param>
    /// <param name="cancellationToken">Stops the copy.</param>
    public async Task CopySealedAsync(Func<Memory<byte>, CancellationToken, ValueTask<int>> read, Stream target, string identity,
        Action<ReadOnlySpan<byte>> plaintext, CancellationToken cancellationToken)
    {
        var buffer = new byte[SegmentBytes];
        var next = new byte[SegmentBytes];
        var filled = await FillAsync(read, buffer, cancellationToken).ConfigureAwait(false);
        if (_key is null)
        {
            while (filled > 0)
            {
                plaintext(buffer.AsSpan(0, filled));
                await target.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                filled = await FillAsync(read, buffer, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var header = new byte[HeaderBytes];
        WriteHeader(header);
        await target.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        var output = new byte[SegmentBytes + Overhead];
        using var aes = new AesGcm(_key, TagBytes);
        for (var index = 0; ; index++)
        {
            // Read ahead one segment: only then is it known whether this one is the last.
            var following = filled == SegmentBytes ? await FillAsync(read, next, cancellationToken).ConfigureAwait(false) : 0;
            plaintext(buffer.AsSpan(0, filled));
            var written = SealSegment(aes, buffer.AsSpan(0, filled), output, identity, index, last: following == 0);
            await target.WriteAsync(output.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            if (following == 0)
            {
                return;
            }

            (buffer, next) = (next, buffer);
            filled = following;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the source ends.</summary>
    private static async ValueTask<int> FillAsync(Func<Memory<byte>, CancellationToken, ValueTask<int>> read, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int got;
        while (filled < buffer.Length && (got = await read(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
        {
            filled += got;
        }

        return filled;
    }

    /// <summary>Reads a file's content at any offset, opening only the segments it needs.</summary>
    public SealedContent OpenContent(string path, string identity) => new(this, path, identity);

    /// <summary>The plaintext length of a sealed file of <paramref name="storedLength"/> bytes.</summary>
    private static long PlainLength(long storedLength, ReadOnlySpan<byte> header)
    {
        var lastSegment = (storedLength - HeaderBytes) % (SegmentBytes + Overhead);
        if (storedLength < HeaderBytes + Overhead || (lastSegment != 0 && lastSegment < Overhead)
            || !header[..4].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32BigEndian(header[4..]) != SegmentBytes)
        {
            throw new DamagedEntryException("not a sealed outbox file, or one cut short");
        }

        return storedLength - HeaderBytes - (SegmentCount(storedLength) * (long)Overhead);
    }

    private static int SegmentCount(long storedLength)
        => (int)((storedLength - HeaderBytes + SegmentBytes + Overhead - 1) / (SegmentBytes + Overhead));

    private static void WriteHeader(Span<byte> header)
    {
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], SegmentBytes);
    }

    private static int SealSegment(AesGcm aes, ReadOnlySpan<byte> plain, Span<byte> output, string identity, long index, bool last)
    {
        var nonce = output[..NonceBytes];
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plain, output.Slice(NonceBytes, plain.Length), output.Slice(NonceBytes + plain.Length, TagBytes),
            AssociatedData(identity, index, last));
        return plain.Length + Overhead;
    }

    private static void OpenSegment(AesGcm aes, ReadOnlySpan<byte> sealedSegment, Span<byte> plain, string identity, long index, bool last)
    {
        try
        {
            aes.Decrypt(sealedSegment[..NonceBytes], sealedSegment.Slice(NonceBytes, plain.Length), sealedSegment[^TagBytes..], plain,
                AssociatedData(identity, index, last));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new DamagedEntryException("its contents were changed, or it is another file's", e);
        }
    }

    private static byte[] AssociatedData(string identity, long index, bool last)
    {
        var name = Encoding.UTF8.GetBytes(identity);
        var data = new byte[15 + name.Length + 9];
        "edge-outbox-v1\0"u8.CopyTo(data);
        name.CopyTo(data, 15);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(15 + name.Length), index);
        data[^1] = last ? (byte)1 : (byte)0;
        return data;
    }

    /// <summary>A file's content, read at any offset.</summary>
    internal sealed class SealedContent : IDisposable
    {
        private readonly SafeFileHandle _file;
        private readonly string _identity;
        private readonly long _stored;
        private readonly AesGcm? _aes;
        private readonly byte[] _segment = [];
        private readonly byte[] _plain = [];
        private long _cached = -1;

        public SealedContent(OutboxCipher cipher, string path, string identity)
        {
            _identity = identity;
            _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
            try
            {
                _stored = RandomAccess.GetLength(_file);
                if (cipher._key is null)
                {
                    Length = _stored;
                    return;
                }

                Span<byte> header = stackalloc byte[HeaderBytes];
                Length = PlainLength(_stored, RandomAccess.Read(_file, header, 0) == HeaderBytes ? header : default);
                _aes = new AesGcm(cipher._key, TagBytes);
                _segment = new byte[SegmentBytes + Overhead];
                _plain = new byte[SegmentBytes];
            }
            catch
            {
                _file.Dispose();
                throw;
            }
        }

        public long Length { get; }

        /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; returns the bytes read (fewer only at the end).</summary>
        /// <exception cref="DamagedEntryException">A segment it needed does not open.</exception>
        public async ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken)
        {
            if (_aes is null)
            {
                return await RandomAccess.ReadAsync(_file, buffer, offset, cancellationToken).ConfigureAwait(false);
            }

            var total = 0;
            while (total < buffer.Length && offset + total < Length)
            {
                var at = offset + total;
                var index = at / SegmentBytes;
                var plain = await SegmentAsync(index, cancellationToken).ConfigureAwait(false);
                var within = (int)(at - (index * SegmentBytes));
                var count = Math.Min(plain - within, buffer.Length - total);
                _plain.AsMemory(within, count).CopyTo(buffer[total..]);
                total += count;
            }

            return total;
        }

        /// <summary>Opens segment <paramref name="index"/> into the plaintext buffer (unless it is there); returns its length.</summary>
        private async ValueTask<int> SegmentAsync(long index, CancellationToken cancellationToken)
        {
            var start = HeaderBytes + (index * (SegmentBytes + Overhead));
            var length = (int)Math.Min(SegmentBytes + Overhead, _stored - start);
            if (_cached != index)
            {
                _cached = -1;
                if (await RandomAccess.ReadAsync(_file, _segment.AsMemory(0, length), start, cancellationToken).ConfigureAwait(false) != length)
                {
                    throw new DamagedEntryException("it was cut short while being read");
                }

                OpenSegment(_aes!, _segment.AsSpan(0, length), _plain.AsSpan(0, length - Overhead), _identity, index, start + length == _stored);
                _cached = index;
            }

            return length - Overhead;
        }

        public void Dispose()
        {
            _aes?.Dispose();
            _file.Dispose();
        }
    }
}

/// <summary>An outbox file that cannot be opened: changed, cut, swapped with another, or sealed under another key.</summary>
internal sealed class DamagedEntryException : IOException
{
    public DamagedEntryException(string reason)
        : base(reason)
    {
    }

    public DamagedEntryException(string reason, Exception inner)
        : base(reason, inner)
    {
    }
}

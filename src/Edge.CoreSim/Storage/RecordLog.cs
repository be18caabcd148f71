using Edge.Shared;
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Storage;

/// <summary>
/// An append-only file of records, each framed as [length u32 LE][CRC-32 u32 LE][payload] and fsync'd before
/// <see cref="Append"/> returns. On open, a torn or corrupt tail (a crash mid-append) is cut off, so the log
/// always holds whole records only. Not thread-safe: the owner serialises appends.
/// </summary>
internal sealed class RecordLog : IDisposable
{
    private const int HeaderBytes = 8;

    /// <summary>Larger frames are taken as corruption rather than allocated.</summary>
    private const int MaxRecordBytes = 16 * 1024 * 1024;

    private readonly FileStream _stream;

    private RecordLog(FileStream stream)
    {
        _stream = stream;
    }

    /// <summary>Opens (or creates) the log at <paramref name="path"/> and passes every whole record to <paramref name="onRecord"/>.</summary>
    public static RecordLog Open(string path, Action<byte[]> onRecord, ILogger logger)
    {
        var existed = File.Exists(path);

        // FileShare.None takes an exclusive lock, so two simulators cannot share one log.
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        try
        {
            var validLength = ReadRecords(stream, onRecord);
            if (validLength < stream.Length)
            {
                StorageLog.TruncatingLogTail(logger, path, validLength, stream.Length - validLength);
                stream.SetLength(validLength);
                stream.Flush(flushToDisk: true);
            }

            stream.Position = validLength;
            if (!existed)
            {
                DirectorySync.Sync(Path.GetDirectoryName(Path.GetFullPath(path))!);
            }

            return new RecordLog(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Appends the payloads as one write and syncs them to disk.</summary>
    public void Append(IReadOnlyList<byte[]> payloads)
    {
        var total = 0;
        foreach (var payload in payloads)
        {
            total += HeaderBytes + payload.Length;
        }

        var buffer = new byte[total];
        var offset = 0;
        foreach (var payload in payloads)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset), (uint)payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset + 4), Crc32.HashToUInt32(payload));
            payload.CopyTo(buffer.AsSpan(offset + HeaderBytes));
            offset += HeaderBytes + payload.Length;
        }

        var start = _stream.Position;
        try
        {
            _stream.Write(buffer);
            _stream.Flush(flushToDisk: true);
        }
        catch
        {
            // Leave no partial record behind for the next append to follow.
            _stream.SetLength(start);
            _stream.Position = start;
            throw;
        }
    }

    public void Dispose() => _stream.Dispose();

    private static long ReadRecords(FileStream stream, Action<byte[]> onRecord)
    {
        stream.Position = 0;
        Span<byte> header = stackalloc byte[HeaderBytes];
        long valid = 0;
        while (true)
        {
            if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            {
                return valid;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (length > MaxRecordBytes || valid + HeaderBytes + length > stream.Length)
            {
                return valid;
            }

            var payload = new byte[length];
            stream.ReadExactly(payload);
            if (Crc32.HashToUInt32(payload) != crc)
            {
                return valid;
            }

            onRecord(payload);
            valid += HeaderBytes + length;
        }
    }
}

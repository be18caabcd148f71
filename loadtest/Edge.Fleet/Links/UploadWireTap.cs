using System.Buffers.Binary;
using Edge.V1;
using Google.Protobuf;

namespace Edge.Fleet.Links;

/// <summary>
/// Reads the device-to-gateway bytes of one cleartext HTTP/2 connection (gRPC with prior knowledge) and tells the
/// <see cref="UploadLedger"/> about every <c>edge.v1.Uploads/Upload</c> start and chunk in it. Streams are recognised
/// by their first message, an <see cref="UploadStart"/> with a SHA-256 and a size; other calls are skipped. Frames and
/// messages may be split anywhere across reads.
/// </summary>
internal sealed class UploadWireTap(UploadLedger ledger)
{
    private const int FrameHeaderBytes = 9;
    private const byte DataFrame = 0x0;
    private const byte EndStreamFlag = 0x1;
    private const byte PaddedFlag = 0x8;
    private const byte RstStreamFrame = 0x3;

    private static readonly int PrefaceBytes = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".Length;

    private readonly byte[] _header = new byte[FrameHeaderBytes];
    private readonly Dictionary<int, StreamState> _streams = [];
    private int _prefaceLeft = PrefaceBytes;
    private int _headerFill;
    private int _payloadLeft;
    private byte _type;
    private byte _flags;
    private int _streamId;
    private byte[] _payload = new byte[16 * 1024];
    private int _payloadFill;
    private bool _broken;

    public void Read(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && !_broken)
        {
            if (_prefaceLeft > 0)
            {
                var skip = Math.Min(_prefaceLeft, bytes.Length);
                _prefaceLeft -= skip;
                bytes = bytes[skip..];
                continue;
            }

            if (_headerFill < FrameHeaderBytes)
            {
                var take = Math.Min(FrameHeaderBytes - _headerFill, bytes.Length);
                bytes[..take].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += take;
                bytes = bytes[take..];
                if (_headerFill == FrameHeaderBytes)
                {
                    _payloadLeft = (_header[0] << 16) | (_header[1] << 8) | _header[2];
                    _type = _header[3];
                    _flags = _header[4];
                    _streamId = BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(5)) & 0x7FFFFFFF;
                    _payloadFill = 0;
                    if (_payloadLeft > 16 * 1024 * 1024)
                    {
                        _broken = true; // not HTTP/2 as expected: stop reading rather than guess
                        return;
                    }

                    if (_type == DataFrame && _payload.Length < _payloadLeft)
                    {
                        _payload = new byte[_payloadLeft];
                    }

                    if (_payloadLeft == 0)
                    {
                        FrameDone();
                    }
                }

                continue;
            }

            var part = Math.Min(_payloadLeft, bytes.Length);
            if (_type == DataFrame)
            {
                bytes[..part].CopyTo(_payload.AsSpan(_payloadFill));
                _payloadFill += part;
            }

            _payloadLeft -= part;
            bytes = bytes[part..];
            if (_payloadLeft == 0)
            {
                FrameDone();
            }
        }
    }

    private void FrameDone()
    {
        _headerFill = 0;
        if (_type == RstStreamFrame)
        {
            _streams.Remove(_streamId);
            return;
        }

        if (_type != DataFrame)
        {
            return;
        }

        var data = _payload.AsSpan(0, _payloadFill);
        if ((_flags & PaddedFlag) != 0 && data.Length > 0)
        {
            var pad = data[0];
            data = data.Length - 1 - pad >= 0 ? data[1..^pad] : [];
        }

        if (!_streams.TryGetValue(_streamId, out var stream))
        {
            stream = new StreamState();
            _streams[_streamId] = stream;
        }

        if (!stream.Ignored)
        {
            stream.Append(data);
            while (stream.TryTakeMessage(out var message))
            {
                OnMessage(stream, message);
                if (stream.Ignored)
                {
                    break;
                }
            }
        }

        if ((_flags & EndStreamFlag) != 0)
        {
            _streams.Remove(_streamId);
        }
    }

    private void OnMessage(StreamState stream, ReadOnlyMemory<byte> message)
    {
        UploadRequest request;
        try
        {
            request = UploadRequest.Parser.ParseFrom(message.Span);
        }
        catch (InvalidProtocolBufferException)
        {
            stream.Ignore();
            return;
        }

        if (stream.Sha256 is null)
        {
            if (request.KindCase == UploadRequest.KindOneofCase.Start && request.Start.Sha256.Length == 64 && request.Start.SizeBytes > 0
                && request.Start.Sha256.All(char.IsAsciiHexDigitLower))
            {
                stream.Sha256 = request.Start.Sha256;
                ledger.Started(stream.Sha256, request.Start.SizeBytes);
            }
            else
            {
                stream.Ignore();
            }

            return;
        }

        if (request.KindCase == UploadRequest.KindOneofCase.Chunk)
        {
            ledger.Chunk(stream.Sha256, request.Chunk.Offset, request.Chunk.Data.Length);
        }
    }

    /// <summary>The gRPC messages of one HTTP/2 stream: 1 byte compressed flag, 4 bytes length, the message.</summary>
    private sealed class StreamState
    {
        private byte[] _buffer = [];
        private int _start;
        private int _end;

        public string? Sha256 { get; set; }

        public bool Ignored { get; private set; }

        public void Ignore()
        {
            Ignored = true;
            _buffer = [];
            _start = _end = 0;
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            if (_buffer.Length - _end < data.Length)
            {
                var live = _end - _start;
                var target = live + data.Length <= _buffer.Length ? _buffer : new byte[(live + data.Length) * 2];
                _buffer.AsSpan(_start, live).CopyTo(target);
                _buffer = target;
                _start = 0;
                _end = live;
            }

            data.CopyTo(_buffer.AsSpan(_end));
            _end += data.Length;
        }

        public bool TryTakeMessage(out ReadOnlyMemory<byte> message)
        {
            message = default;
            var live = _end - _start;
            if (live < 5)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 1));
            if (length < 0 || length > 64 * 1024 * 1024)
            {
                Ignore();
                return false;
            }

            if (live < 5 + length)
            {
                return false;
            }

            // Copied out: the buffer is reused for what follows.
            message = _buffer.AsSpan(_start + 5, length).ToArray();
            _start += 5 + length;
            if (_start == _end)
            {
                _start = _end = 0;
            }

            return true;
        }
    }
}

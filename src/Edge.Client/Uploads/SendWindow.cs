using Edge.Client.Connection;
using Edge.V1;

namespace Edge.Client.Uploads;

/// <summary>
/// What one upload stream has sent and what the gateway has made durable. The sender stays within a bounded number of
/// unacknowledged bytes (<see cref="WindowSizer"/>), so a link that dies takes little with it; a refused chunk rewinds
/// the sender to where the gateway expects the next byte. A stream starts sending from the last offset the device saw
/// acknowledged before the gateway's started answer arrives; the answer then moves it to the gateway's offset. After a
/// cut the gateway may hold a little more than that (a chunk that arrived just before the cut, whose acknowledgement
/// the cut swallowed): those bytes are sent again and dropped by the gateway, which costs far less than waiting a round
/// trip for the answer on every resume (docs/protocol.md, "Resume without waiting").
/// </summary>
/// <param name="acknowledged">The offset the gateway last acknowledged to this device.</param>
/// <param name="sizer">Sizes the unacknowledged window.</param>
/// <param name="time">Clock for acknowledgement latencies.</param>
internal sealed class SendWindow(long acknowledged, WindowSizer sizer, TimeProvider time)
{
    /// <summary>
    /// What goes out before the started answer: about a new connection's first congestion window (10 segments), which
    /// the link carries in the round trip the answer takes anyway. More would gain nothing before the answer, and be
    /// wasted if the answer moves the stream elsewhere (the gateway lost the upload and starts it again).
    /// </summary>
    public const int BeforeStartedBytes = 16 * 1024;

    private readonly Lock _gate = new();
    private readonly AsyncSignal _changed = new();
    private readonly Queue<(long End, long SentAt)> _sent = new();
    private long _next = acknowledged;
    private long _acknowledged = acknowledged;
    private long _rewoundTo = -1;
    private bool _started;
    private bool _complete;

    /// <summary>The highest offset the gateway has acknowledged (or answered the start with) so far.</summary>
    public long AcknowledgedOffset
    {
        get
        {
            lock (_gate)
            {
                return _acknowledged;
            }
        }
    }

    /// <summary>
    /// The offset and length of the next chunk to send, or a task to wait on before asking again, or offset -1 when the
    /// stream is done. Before the started answer at most <see cref="BeforeStartedBytes"/> go out, in chunks of the
    /// usual size (the last one cut to fit).
    /// </summary>
    public (long Offset, int Length, Task? Wait) NextChunk(long size, int chunkSize)
    {
        lock (_gate)
        {
            if (_complete)
            {
                return (-1, 0, null);
            }

            if (!_started)
            {
                var ahead = _next - _acknowledged;
                if (ahead >= BeforeStartedBytes || _next >= size)
                {
                    return (0, 0, _changed.WaitAsync());
                }

                chunkSize = (int)Math.Min(chunkSize, BeforeStartedBytes - ahead);
            }
            else if (_next >= size || (_next > _acknowledged && _next + chunkSize - _acknowledged > sizer.Window(chunkSize)))
            {
                return (0, 0, _changed.WaitAsync());
            }

            return (_next, (int)Math.Min(chunkSize, size - _next), null);
        }
    }

    /// <summary>
    /// Records the chunk from <see cref="NextChunk"/> as sent; false, and nothing recorded, when the gateway's answer
    /// moved the stream (a refusal's rewind, the started offset) since the chunk was chosen: it is stale and must not
    /// be sent, since taking it as sent would move the sender past the rewind, and the gateway, refusing every chunk
    /// after it as out of place with the offset already rewound to, would never be asked for the bytes again.
    /// </summary>
    public bool Sent(long offset, int length)
    {
        lock (_gate)
        {
            if (offset != _next)
            {
                return false;
            }

            _next = offset + length;
            _sent.Enqueue((_next, time.GetTimestamp()));
            return true;
        }
    }

    /// <summary>
    /// The gateway's answer to the start: where it continues from. Chunks already sent below it are taken (or dropped)
    /// by the gateway; the sender skips to it. An offset below what this stream assumed (the gateway lost the upload, or
    /// a new upload began) rewinds the sender, and the refusals of chunks already on their way are then ignored.
    /// </summary>
    public void Started(long committed)
    {
        lock (_gate)
        {
            _started = true;
            if (committed < _acknowledged)
            {
                _rewoundTo = committed;
                _acknowledged = committed;
                _next = committed;
                _sent.Clear();
            }
            else
            {
                Advance(committed);
                _next = Math.Max(_next, committed);
            }

            _changed.Set();
        }
    }

    /// <summary>Moves the acknowledged mark; returns the newly acknowledged bytes and how long the newest acknowledged chunk took.</summary>
    public (long Bytes, TimeSpan? Latency) Acknowledged(long offset)
    {
        lock (_gate)
        {
            var before = _acknowledged;
            var latency = Advance(offset);
            _changed.Set();
            return (_acknowledged - before, latency);
        }
    }

    /// <summary>
    /// Rewinds to the gateway's expected offset. Chunks already on their way behind a refused one are refused too, as
    /// WRONG_OFFSET with the same expected offset; those say nothing new and are ignored. Returns true on a rewind.
    /// </summary>
    public bool Rejected(ChunkRejected rejected)
    {
        lock (_gate)
        {
            if (rejected.Reason == ChunkRejected.Types.Reason.WrongOffset && rejected.ExpectedOffset == _rewoundTo)
            {
                return false;
            }

            _rewoundTo = rejected.ExpectedOffset;
            _next = rejected.ExpectedOffset;
            _sent.Clear();
            _changed.Set();
            return true;
        }
    }

    public void Complete()
    {
        lock (_gate)
        {
            _complete = true;
            _changed.Set();
        }
    }

    private TimeSpan? Advance(long offset)
    {
        _acknowledged = Math.Max(_acknowledged, offset);
        long? sentAt = null;
        while (_sent.TryPeek(out var chunk) && chunk.End <= _acknowledged)
        {
            sentAt = _sent.Dequeue().SentAt;
        }

        return sentAt is { } at ? time.GetElapsedTime(at) : null;
    }
}

using Edge.Client.Connection;
using Edge.V1;

namespace Edge.Client.Uploads;

/// <summary>
/// What one upload stream has sent and what the gateway has made durable. The sender stays within a bounded number of
/// unacknowledged bytes, so a link that dies takes little with it; a refused chunk rewinds the sender to where the
/// gateway expects the next byte.
/// </summary>
internal sealed class SendWindow(long committed, int maxUnacknowledged, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly AsyncSignal _changed = new();
    private readonly Queue<(long End, long SentAt)> _sent = new();
    private long _next = committed;
    private long _acknowledged = committed;
    private long _rewoundTo = -1;
    private bool _complete;

    /// <summary>
    /// The offset of the next chunk to send, or a task to wait on before asking again, or -1 when the stream is done.
    /// </summary>
    public (long Offset, Task? Wait) NextChunk(long size, int chunkSize)
    {
        lock (_gate)
        {
            if (_complete)
            {
                return (-1, null);
            }

            var allowed = Math.Max(maxUnacknowledged, 2L * chunkSize);
            if (_next >= size || (_next > _acknowledged && _next + chunkSize - _acknowledged > allowed))
            {
                return (0, _changed.WaitAsync());
            }

            return (_next, null);
        }
    }

    public void Sent(long offset, int length)
    {
        lock (_gate)
        {
            _next = offset + length;
            _sent.Enqueue((_next, time.GetTimestamp()));
        }
    }

    /// <summary>Moves the acknowledged mark; returns how long the newest acknowledged chunk took, if one was.</summary>
    public TimeSpan? Acknowledged(long offset)
    {
        lock (_gate)
        {
            _acknowledged = Math.Max(_acknowledged, offset);
            long? sentAt = null;
            while (_sent.TryPeek(out var chunk) && chunk.End <= _acknowledged)
            {
                sentAt = _sent.Dequeue().SentAt;
            }

            _changed.Set();
            return sentAt is { } at ? time.GetElapsedTime(at) : null;
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
}

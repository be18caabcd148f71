using System.Diagnostics;
using System.Security.Cryptography;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Storage;
using Edge.Shared;
using Edge.V1;
using Grpc.Core;

namespace Edge.Gateway.Uploads;

/// <summary>
/// One writer of an upload (one stream, one epoch): receives chunks into its own staging segment, checks each chunk's
/// CRC32C, hashes the object as it grows, makes bytes durable in batches, records the offset fenced by its epoch and
/// only then acknowledges it. When the stream breaks it keeps what arrived intact; when it ends it frees its device
/// slot unless the upload completed.
/// </summary>
internal sealed class UploadWriter : IAsyncDisposable
{
    private readonly UploadSession _session;
    private readonly bool _tookOver;
    private readonly IAsyncStreamReader<UploadRequest> _requests;
    private readonly IServerStreamWriter<UploadResponse> _responses;
    private readonly UploadWriterContext _context;
    private readonly CancellationToken _callCancelled;
    private readonly CancellationTokenSource _interrupt;
    private readonly Task _interrupted;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private FileStream? _segment;
    private long _received;
    private long _committed;
    private bool _completed;

    public UploadWriter(
        UploadSession session,
        bool tookOver,
        IAsyncStreamReader<UploadRequest> requests,
        IServerStreamWriter<UploadResponse> responses,
        UploadWriterContext context,
        CancellationToken callCancelled)
    {
        _session = session;
        _tookOver = tookOver;
        _requests = requests;
        _responses = responses;
        _context = context;
        _received = session.CommittedOffset;
        _committed = session.CommittedOffset;
        _callCancelled = callCancelled;

        // A newer stream on this replica, or shutdown, ends this one. Cancelling a pending read would reset the HTTP/2
        // stream (the client would see CANCELLED), so the interruption is raced against the read instead.
        _interrupt = context.LocalWriters.Register(session.UploadId, callCancelled);
        _interrupted = Task.Delay(Timeout.Infinite, _interrupt.Token);
    }

    /// <summary>The writer's cancellation: the call's, a newer local writer's, or shutdown.</summary>
    public CancellationToken Token => _interrupt.Token;

    /// <summary>
    /// Answers the start, then receives until every byte is durable. Returns the SHA-256 of the whole object as
    /// received, or null when the stream ended before the object was complete.
    /// </summary>
    public async Task<string?> ReceiveAsync(CancellationToken token)
    {
        if (_session.CommittedOffset > 0)
        {
            _context.Staging.ReadCommitted(_session, span => _hash.AppendData(span));
        }

        await _responses.WriteAsync(new UploadResponse
        {
            Started = new UploadStarted
            {
                CommittedOffset = _session.CommittedOffset,
                MaxChunkBytes = _context.Options.MaxChunkBytes,
                TookOver = _tookOver,
            },
        }, token);

        if (_received < _session.SizeBytes)
        {
            await ReceiveChunksAsync(token);
        }

        if (_received < _session.SizeBytes)
        {
            UploadLog.StreamEndedEarly(_context.Logger, _session.UploadId, _committed);
            return null;
        }

        if (_segment is not null)
        {
            await _segment.DisposeAsync();
            _segment = null;
        }

        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <summary>The upload completed (or was discarded): its session no longer has a slot to free.</summary>
    public void MarkFinished() => _completed = true;

    public async ValueTask DisposeAsync()
    {
        if (_segment is not null)
        {
            await SaveProgressAsync(_segment);
            await _segment.DisposeAsync();
        }

        if (!_completed)
        {
            // An upload that received no byte has nothing to resume: it gives its reservation back at once.
            if (_committed == 0 && await _context.Sessions.DiscardIfEmptyAsync(_session, CancellationToken.None))
            {
                _context.Staging.Delete(_session.UploadId);
            }
            else
            {
                await _context.Sessions.ReleaseAsync(_session, CancellationToken.None);
            }
        }

        _hash.Dispose();
        _context.LocalWriters.Unregister(_session.UploadId, _interrupt);
    }

    private async Task ReceiveChunksAsync(CancellationToken token)
    {
        var options = _context.Options;
        while (true)
        {
            var next = _requests.MoveNext(token);
            if (!next.IsCompleted && _received > _committed)
            {
                // Nothing more is waiting: make what we have durable now rather than leave the client waiting for an
                // ack, but give a chunk already on its way a moment to join the batch. Not the first bytes of a
                // stream: after a resume the client is waiting for word that the link carries again.
                var idle = _committed == _session.CommittedOffset ? Task.CompletedTask : Task.Delay(options.SyncIdleDelay, _context.TimeProvider, token);
                if (await Task.WhenAny(next, idle) != next)
                {
                    await SyncAsync(token);
                }
            }

            if (!next.IsCompleted && await Task.WhenAny(next, _interrupted) != next)
            {
                await InterruptedAsync();
            }

            if (!await next)
            {
                await SyncAsync(token);
                return;
            }

            if (await TakeAsync(_requests.Current, token) && (_received == _session.SizeBytes || _received - _committed >= options.SyncBatchBytes))
            {
                await SyncAsync(token);
                if (_received == _session.SizeBytes)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Checks one chunk and writes what is new of it. True when bytes were added.</summary>
    private async Task<bool> TakeAsync(UploadRequest request, CancellationToken token)
    {
        if (request.KindCase != UploadRequest.KindOneofCase.Chunk)
        {
            EdgeErrors.InvalidArgument("chunk", "after the UploadStart, every message must be an UploadChunk");
        }

        var chunk = request.Chunk;
        var data = chunk.Data.Span;
        if (data.Length == 0)
        {
            EdgeErrors.InvalidArgument("chunk.data", "must not be empty");
        }

        if (data.Length > _context.Options.MaxChunkBytes)
        {
            EdgeErrors.InvalidArgument("chunk.data", $"{data.Length} bytes exceeds the maximum chunk of {_context.Options.MaxChunkBytes}");
        }

        // A chunk may start before the next expected byte (a client that resumes without waiting for the started
        // answer sends from the last offset it saw acknowledged), never after it: bytes are kept in order.
        if (chunk.Offset > _received || chunk.Offset < 0)
        {
            await RefuseAsync(ChunkRejected.Types.Reason.WrongOffset, chunk.Offset, $"chunk starts at {chunk.Offset}; send from {_received}", token);
            return false;
        }

        if (chunk.Offset + data.Length > _session.SizeBytes)
        {
            EdgeErrors.InvalidArgument("chunk.data", $"chunk ends at {chunk.Offset + data.Length}, past the declared size {_session.SizeBytes}");
        }

        // The whole chunk is checked, also the part the gateway already holds: a CRC32C covers the chunk as sent.
        if (Crc32C.Compute(data) != chunk.Crc32C)
        {
            await RefuseAsync(ChunkRejected.Types.Reason.Crc32CMismatch, chunk.Offset, "the chunk's CRC32C does not match its data; resend it", token);
            return false;
        }

        if (chunk.Offset < _received)
        {
            var held = (int)Math.Min(data.Length, _received - chunk.Offset);
            _context.Metrics.BytesAlreadyHeld(held);
            if (held == data.Length)
            {
                // Nothing new: say how far the gateway is (once durable; bytes not yet synced are acknowledged by the
                // next sync).
                if (chunk.Offset + data.Length <= _committed)
                {
                    await _responses.WriteAsync(new UploadResponse { Ack = new ChunkAck { CommittedOffset = _committed } }, token);
                }

                return false;
            }

            // Only the bytes past what the gateway holds are kept; the held ones are never overwritten.
            data = data[held..];
        }

        // The segment file appears with the first new byte: a stream that brings none leaves nothing behind.
        _segment ??= _context.Staging.OpenSegment(_session.UploadId, _session.Epoch);
        RandomAccess.Write(_segment.SafeFileHandle, data, _received - _session.CommittedOffset);
        _hash.AppendData(data);
        _received += data.Length;
        _context.Metrics.BytesReceived(data.Length);
        return true;
    }

    private async Task InterruptedAsync()
    {
        if (_context.LocalWriters.IsStopping)
        {
            if (_segment is not null)
            {
                await SaveProgressAsync(_segment);
            }

            EdgeErrors.Unavailable(
                $"The gateway is shutting down; resume upload {_session.UploadId} from offset {_committed}, on any replica.", TimeSpan.FromSeconds(1));
        }

        if (_callCancelled.IsCancellationRequested)
        {
            // The client's connection or stream went away (its token is linked into the writer's): no newer stream.
            UploadLog.ConnectionLost(_context.Logger, _session.UploadId, _session.Epoch, _received);
            EdgeErrors.Unavailable($"The connection of upload {_session.UploadId} was lost; resume it.", TimeSpan.Zero);
        }

        UploadLog.TakenOver(_context.Logger, _session.UploadId, _session.Epoch);
        EdgeErrors.Aborted($"Upload {_session.UploadId} was taken over by a newer stream.");
    }

    private async Task RefuseAsync(ChunkRejected.Types.Reason reason, long offset, string message, CancellationToken token)
    {
        _context.Metrics.ChunkRefused(reason.ToString());
        UploadLog.ChunkRefused(_context.Logger, _session.UploadId, offset, message);
        await _responses.WriteAsync(new UploadResponse
        {
            Rejected = new ChunkRejected { Reason = reason, Offset = offset, ExpectedOffset = _received, Message = message },
        }, token);
    }

    /// <summary>fsync, then record the offset (fenced by epoch), then acknowledge it.</summary>
    private async Task SyncAsync(CancellationToken token)
    {
        if (_received == _committed || _segment is null)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        _segment.Flush(flushToDisk: true);
        var now = _context.TimeProvider.GetUtcNow();
        if (!await _context.Sessions.TryCommitAsync(_session, _received, now, now + _context.Options.WriterLease, token))
        {
            UploadLog.TakenOver(_context.Logger, _session.UploadId, _session.Epoch);
            EdgeErrors.Aborted($"Upload {_session.UploadId} was taken over by a newer stream.");
        }

        _committed = _received;
        _context.Metrics.Synced(Stopwatch.GetElapsedTime(started));
        await _responses.WriteAsync(new UploadResponse { Ack = new ChunkAck { CommittedOffset = _committed } }, token);
    }

    /// <summary>After the stream broke: keep the bytes that arrived intact, so the resume sends less again.</summary>
    private async Task SaveProgressAsync(FileStream segment)
    {
        if (_received == _committed || _completed)
        {
            return;
        }

        try
        {
            segment.Flush(flushToDisk: true);
            var now = _context.TimeProvider.GetUtcNow();
            if (await _context.Sessions.TryCommitAsync(_session, _received, now, now, CancellationToken.None))
            {
                _committed = _received;
            }
        }
        catch (IOException)
        {
            // The last acknowledged offset still stands.
        }
    }
}

/// <summary>What every writer shares: the stores, options and telemetry.</summary>
internal sealed record UploadWriterContext(
    IUploadSessionStore Sessions,
    StagingArea Staging,
    LocalWriters LocalWriters,
    UploadOptions Options,
    EdgeMetrics Metrics,
    TimeProvider TimeProvider,
    ILogger Logger);

using System.Threading.Channels;

namespace Edge.Gateway.Imaging;

/// <summary>
/// A fixed set of dedicated threads that run CPU-heavy photo work, fed by a counted queue, so decoding
/// never runs on (or starves) the thread pool that serves gRPC I/O.
/// </summary>
internal sealed class PhotoWorkerPool : IDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>();
    private readonly Thread[] _workers;
    private readonly int _capacity;
    private readonly TimeSpan _retryAfter;
    private int _pending;

    /// <param name="concurrency">Worker threads.</param>
    /// <param name="queueLength">Items that may wait while every worker is busy.</param>
    /// <param name="retryAfter">The hint given with <see cref="PhotoPipelineBusyException"/>.</param>
    public PhotoWorkerPool(int concurrency, int queueLength, TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLength);
        _capacity = concurrency + queueLength;
        _retryAfter = retryAfter;
        _workers = new Thread[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"photo-worker-{i}" };
            _workers[i].Start();
        }
    }

    /// <summary>Items accepted and not finished yet (running or waiting).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Queues <paramref name="work"/>, or refuses it at once when every worker is busy and the queue is full.</summary>
    /// <exception cref="PhotoPipelineBusyException">No room.</exception>
    /// <remarks>
    /// Cancelling while the item waits drops it; once a worker has started it, the work gets the token
    /// and decides where it can stop.
    /// </remarks>
    public Task<T> RunAsync<T>(Func<CancellationToken, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Increment(ref _pending) > _capacity)
        {
            Interlocked.Decrement(ref _pending);
            throw new PhotoPipelineBusyException(_retryAfter);
        }

        var item = new WorkItem<T>(work, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _pending);
            item.Abandon();
        }

        return item.Task;
    }

    private void Work()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    item.Execute();
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                }
            }
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var item))
        {
            item.Abandon();
        }

        foreach (var worker in _workers)
        {
            worker.Join(TimeSpan.FromSeconds(30));
        }
    }

    private abstract class WorkItem
    {
        public abstract void Execute();

        public abstract void Abandon();
    }

    private sealed class WorkItem<T> : WorkItem
    {
        private const int Queued = 0;
        private const int Running = 1;
        private const int Done = 2;

        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<CancellationToken, T> _work;
        private readonly CancellationToken _cancellationToken;
        private readonly CancellationTokenRegistration _registration;
        private int _state;

        public WorkItem(Func<CancellationToken, T> work, CancellationToken cancellationToken)
        {
            _work = work;
            _cancellationToken = cancellationToken;
            _registration = cancellationToken.Register(static state => ((WorkItem<T>)state!).CancelIfQueued(), this);
        }

        public Task<T> Task => _completion.Task;

        private void CancelIfQueued()
        {
            if (Interlocked.CompareExchange(ref _state, Done, Queued) == Queued)
            {
                _completion.TrySetCanceled(_cancellationToken);
            }
        }

        public override void Execute()
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued)
            {
                return; // cancelled while waiting
            }

            _registration.Dispose();
            try
            {
                _completion.TrySetResult(_work(_cancellationToken));
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(_cancellationToken);
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
            }
            finally
            {
                Volatile.Write(ref _state, Done);
            }
        }

        public override void Abandon()
        {
            if (Interlocked.CompareExchange(ref _state, Done, Queued) == Queued)
            {
                _registration.Dispose();
                _completion.TrySetException(new ObjectDisposedException(nameof(PhotoWorkerPool)));
            }
        }
    }
}

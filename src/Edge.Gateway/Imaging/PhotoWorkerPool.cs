namespace Edge.Gateway.Imaging;

/// <summary>
/// A fixed set of dedicated threads that run CPU-heavy photo work, so decoding never runs on (or starves) the thread
/// pool that serves gRPC I/O. Shared fairly between devices: each device has its own queue, workers take from the
/// devices in turn, one device runs at most its share of workers at once and holds at most its share of the queue, so
/// a device sending many large photos delays its own, not everyone's.
/// </summary>
internal sealed class PhotoWorkerPool : IDisposable
{
    /// <summary>The start of each worker thread's name (then its number): the threads the photo pipeline's CPU is spent on.</summary>
    public const string ThreadNamePrefix = "photo-worker-";

    private readonly object _gate = new(); // Monitor.Wait needs an object lock, not a System.Threading.Lock.
    private readonly Dictionary<string, DeviceQueue> _devices = new(StringComparer.Ordinal);
    private readonly LinkedList<DeviceQueue> _ready = new();
    private readonly Thread[] _workers;
    private readonly int _capacity;
    private readonly int _maxPendingPerDevice;
    private readonly int _maxRunningPerDevice;
    private readonly TimeSpan _retryAfter;
    private int _pending;
    private bool _disposed;

    /// <param name="concurrency">Worker threads.</param>
    /// <param name="queueLength">Items that may wait while every worker is busy.</param>
    /// <param name="retryAfter">The hint given with <see cref="PhotoPipelineBusyException"/>.</param>
    /// <param name="maxPendingPerDevice">Items one device may have running or waiting.</param>
    /// <param name="maxRunningPerDevice">Workers one device may use at once.</param>
    public PhotoWorkerPool(int concurrency, int queueLength, TimeSpan retryAfter, int maxPendingPerDevice = int.MaxValue, int maxRunningPerDevice = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPendingPerDevice, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRunningPerDevice, 1);
        _capacity = concurrency + queueLength;
        _retryAfter = retryAfter;
        _maxPendingPerDevice = maxPendingPerDevice;
        _maxRunningPerDevice = maxRunningPerDevice;
        _workers = new Thread[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = ThreadNamePrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            _workers[i].Start();
        }
    }

    /// <summary>Items accepted and not finished yet (running or waiting).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Queues <paramref name="work"/> for no device in particular.</summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, T> work, CancellationToken cancellationToken)
        => RunAsync(string.Empty, work, cancellationToken);

    /// <summary>
    /// Queues <paramref name="work"/> for <paramref name="deviceId"/>, or refuses it at once when the pool is full or the
    /// device already has its share pending.
    /// </summary>
    /// <exception cref="PhotoPipelineBusyException">No room.</exception>
    /// <remarks>
    /// Cancelling while the item waits drops it; once a worker has started it, the work gets the token
    /// and decides where it can stop.
    /// </remarks>
    public Task<T> RunAsync<T>(string deviceId, Func<CancellationToken, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem<T>(work, cancellationToken);
        lock (_gate)
        {
            if (_disposed)
            {
                item.Abandon();
                return item.Task;
            }

            if (!_devices.TryGetValue(deviceId, out var device))
            {
                device = new DeviceQueue(deviceId);
            }

            if (_pending >= _capacity || device.Pending >= _maxPendingPerDevice)
            {
                item.Abandon();
                throw new PhotoPipelineBusyException(_retryAfter);
            }

            _devices[deviceId] = device;
            _pending++;
            device.Pending++;
            device.Items.Enqueue(item);
            device.Node ??= _ready.AddLast(device);
            Monitor.PulseAll(_gate);
        }

        return item.Task;
    }

    private void Work()
    {
        while (true)
        {
            WorkItem item;
            DeviceQueue device;
            lock (_gate)
            {
                while (!TryTake(out item!, out device!))
                {
                    if (_disposed)
                    {
                        return;
                    }

                    Monitor.Wait(_gate);
                }
            }

            try
            {
                item.Execute();
            }
            finally
            {
                lock (_gate)
                {
                    device.Running--;
                    device.Pending--;
                    _pending--;
                    if (device.Pending == 0)
                    {
                        _devices.Remove(device.Key);
                    }

                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    // The first device in turn that may run one more; it goes to the back of the line.
    private bool TryTake(out WorkItem? item, out DeviceQueue? device)
    {
        for (var node = _ready.First; node is not null; node = node.Next)
        {
            device = node.Value;
            if (device.Running >= _maxRunningPerDevice)
            {
                continue;
            }

            item = device.Items.Dequeue();
            device.Running++;
            _ready.Remove(node);
            device.Node = device.Items.Count > 0 ? _ready.AddLast(device) : null;
            return true;
        }

        item = null;
        device = null;
        return false;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var device in _ready)
            {
                while (device.Items.TryDequeue(out var item))
                {
                    item.Abandon();
                }
            }

            _ready.Clear();
            Monitor.PulseAll(_gate);
        }

        foreach (var worker in _workers)
        {
            worker.Join(TimeSpan.FromSeconds(30));
        }
    }

    private sealed class DeviceQueue(string key)
    {
        public string Key { get; } = key;

        public Queue<WorkItem> Items { get; } = new();

        public int Pending { get; set; }

        public int Running { get; set; }

        public LinkedListNode<DeviceQueue>? Node { get; set; }
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

namespace Edge.Shared;

/// <summary>
/// Group commit: concurrent requests that each need a synced write (a SQLite transaction, a log append) share one. While one transaction is
/// being written and fsync'd, the requests that arrive queue up, and the next transaction takes them all, so the
/// number of fsyncs per second stops limiting the requests per second. Each request's result is the same as if the
/// requests had run one by one in arrival order.
/// </summary>
internal sealed class GroupCommit<TRequest, TResult>(Func<IReadOnlyList<TRequest>, IReadOnlyList<TResult>> runBatch)
{
    private readonly List<(TRequest Request, TaskCompletionSource<TResult> Done)> _queue = [];
    private bool _writing;

    public Task<TResult> RunAsync(TRequest request)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queue)
        {
            _queue.Add((request, done));
            if (_writing)
            {
                return done.Task;
            }

            _writing = true;
        }

        _ = Task.Run(Drain);
        return done.Task;
    }

    private void Drain()
    {
        while (true)
        {
            (TRequest Request, TaskCompletionSource<TResult> Done)[] batch;
            lock (_queue)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = [.. _queue];
                _queue.Clear();
            }

            try
            {
                var results = runBatch(batch.Select(b => b.Request).ToArray());
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(e);
                }
            }
        }
    }
}

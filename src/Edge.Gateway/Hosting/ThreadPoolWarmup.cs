namespace Edge.Gateway.Hosting;

/// <summary>
/// Starts the thread pool's workers when the gateway starts, so that it does not have to start one while the process
/// is out of file descriptors.
/// </summary>
/// <remarks>
/// On Linux .NET opens a descriptor for every thread it starts; with none free the start fails, and when the thread pool
/// is the one starting a worker (<c>PortableThreadPool.WorkerThread.MaybeAddWorkingWorker</c>) the OutOfMemoryException
/// is caught by nothing and ends the process ("Out of memory."). The gateway therefore raises the pool's minimum, starts
/// that many workers at once, and keeps every worker it ever started (<c>System.Threading.ThreadPool.ThreadsToKeepAlive</c>
/// -1 in the runtime configuration): while descriptors are out, work runs on threads that already exist, and the pool
/// only needs a new one when more than the minimum are blocked at once.
/// </remarks>
internal static class ThreadPoolWarmup
{
    /// <summary>Workers started at boot: 8 per processor, at least 32.</summary>
    public static int DefaultWorkers => Math.Max(32, Environment.ProcessorCount * 8);

    /// <summary>Raises the pool's minimum to <paramref name="workers"/> and waits (at most 10 s) until that many run.</summary>
    /// <returns>How many workers were running at once.</returns>
    public static int Start(int workers)
    {
        ThreadPool.GetMinThreads(out var minimumWorkers, out var minimumIo);
        ThreadPool.SetMinThreads(Math.Max(minimumWorkers, workers), minimumIo);

        // Each item holds its worker until all have started, so the pool must start one worker per item.
        using var started = new CountdownEvent(workers);
        using var finished = new CountdownEvent(workers);
        using var release = new ManualResetEventSlim();
        for (var i = 0; i < workers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                _ =>
                {
                    started.Signal();
                    release.Wait(TimeSpan.FromSeconds(10));
                    finished.Signal();
                },
                null);
        }

        started.Wait(TimeSpan.FromSeconds(10));
        var running = workers - started.CurrentCount;
        release.Set();
        finished.Wait(TimeSpan.FromSeconds(20));
        return running;
    }
}

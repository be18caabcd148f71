using Edge.Gateway.Imaging;

namespace Edge.Gateway.Tests.Imaging;

public sealed class PhotoWorkerPoolTests
{
    [Fact]
    public async Task FullQueue_RefusesWithRetryHint_AndAcceptsAgainOnceDrained()
    {
        using var pool = new PhotoWorkerPool(concurrency: 1, queueLength: 1, retryAfter: TimeSpan.FromSeconds(3));
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();

        var running = pool.RunAsync(_ => { started.Set(); release.Wait(CancellationToken.None); return 1; }, CancellationToken.None);
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var queued = pool.RunAsync(_ => 2, CancellationToken.None);
        var busy = Assert.Throws<PhotoPipelineBusyException>(() => { _ = pool.RunAsync(_ => 3, CancellationToken.None); });

        Assert.Equal(TimeSpan.FromSeconds(3), busy.RetryAfter);
        Assert.Contains("retry in 3 s", busy.Message);
        release.Set();
        Assert.Equal(1, await running);
        Assert.Equal(2, await queued);
        Assert.Equal(4, await pool.RunAsync(_ => 4, CancellationToken.None));
    }

    [Fact]
    public async Task WorkRunsOnDedicatedThreads_NotThePool()
    {
        using var pool = new PhotoWorkerPool(2, 4, TimeSpan.FromSeconds(1));

        var (name, isPoolThread) = await pool.RunAsync(_ => (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread), CancellationToken.None);

        Assert.StartsWith("photo-worker-", name);
        Assert.False(isPoolThread);
    }

    [Fact]
    public async Task CancelledWhileQueued_NeverRuns_AndFreesItsSlot()
    {
        using var pool = new PhotoWorkerPool(1, 1, TimeSpan.FromSeconds(1));
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        using var cancellation = new CancellationTokenSource();
        var ran = false;

        var running = pool.RunAsync(_ => { started.Set(); release.Wait(CancellationToken.None); return 0; }, CancellationToken.None);
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var queued = pool.RunAsync(_ => ran = true, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        release.Set();
        await running;
        Assert.True(await pool.RunAsync(_ => true, CancellationToken.None));
        Assert.False(ran);
    }

    [Fact]
    public async Task Failure_ReachesTheCaller()
    {
        using var pool = new PhotoWorkerPool(1, 0, TimeSpan.FromSeconds(1));

        var ex = await Assert.ThrowsAsync<PhotoRejectedException>(() => pool.RunAsync<int>(_ => throw new PhotoRejectedException(PhotoRejection.Damaged, "no"), CancellationToken.None));

        Assert.Equal("no", ex.Message);
    }
}

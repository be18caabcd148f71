using Edge.Gateway.Imaging;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>One device sending many large photos takes no more than its share of the photo workers and queue.</summary>
public sealed class PhotoFairnessTests
{
    [Fact]
    public async Task DeviceWithManyPhotos_LeavesAWorkerToOthers_AndIsRefusedPastItsShare()
    {
        using var pool = new PhotoWorkerPool(concurrency: 2, queueLength: 8, retryAfter: TimeSpan.FromSeconds(2), maxPendingPerDevice: 3, maxRunningPerDevice: 1);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var heavy = new List<Task<string>>
        {
            pool.RunAsync("attacker", _ => { started.Set(); release.Wait(CancellationToken.None); return "a0"; }, CancellationToken.None),
        };
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        heavy.Add(pool.RunAsync("attacker", _ => { release.Wait(CancellationToken.None); return "a1"; }, CancellationToken.None));
        heavy.Add(pool.RunAsync("attacker", _ => { release.Wait(CancellationToken.None); return "a2"; }, CancellationToken.None));

        var refused = Assert.Throws<PhotoPipelineBusyException>(() => { _ = pool.RunAsync("attacker", _ => "a3", CancellationToken.None); });
        var victim = await pool.RunAsync("victim", _ => "v", CancellationToken.None);

        Assert.Equal("v", victim);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.RetryAfter);
        Assert.All(heavy, t => Assert.False(t.IsCompleted));
        release.Set();
        Assert.Equal(["a0", "a1", "a2"], await Task.WhenAll(heavy));
    }

    [Fact]
    public async Task Devices_AreServedInTurn_NotInArrivalOrder()
    {
        using var pool = new PhotoWorkerPool(concurrency: 1, queueLength: 16, retryAfter: TimeSpan.FromSeconds(1), maxPendingPerDevice: 8, maxRunningPerDevice: 1);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var order = new List<string>();
        var blocker = pool.RunAsync("blocker", _ => { started.Set(); release.Wait(CancellationToken.None); return 0; }, CancellationToken.None);
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var work = new List<Task<int>>();
        for (var i = 0; i < 4; i++)
        {
            var name = "a" + i;
            work.Add(pool.RunAsync("attacker", _ => { lock (order) { order.Add(name); } return 0; }, CancellationToken.None));
        }

        work.Add(pool.RunAsync("victim", _ => { lock (order) { order.Add("v"); } return 0; }, CancellationToken.None));
        release.Set();
        await blocker;
        await Task.WhenAll(work);

        Assert.Equal(1, order.IndexOf("v"));
    }
}

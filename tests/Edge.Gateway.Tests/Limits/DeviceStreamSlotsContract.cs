using Edge.Gateway.Limits;
using Edge.Gateway.Tests.Infrastructure;
using Edge.Gateway.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Gateway.Tests.Limits;

/// <summary>
/// One contract for a device's stream slots (IDeviceStreamSlots): counted in the process in embedded mode, as leases in
/// Redis in Redis mode, where two replicas are two instances on one Redis.
/// </summary>
public abstract class DeviceStreamSlotsContract : IDisposable
{
    internal abstract IDeviceStreamSlots Replica { get; }

    /// <summary>Another replica on the same state (the same instance in embedded mode).</summary>
    internal abstract IDeviceStreamSlots OtherReplica { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    [Fact]
    public async Task Open_UpToTheMost_ThenRefused_ForThatDeviceMethodAndRouteOnly()
    {
        var first = await Replica.TryOpenAsync("watch", "d1", string.Empty, 2, default);
        var second = await OtherReplica.TryOpenAsync("watch", "d1", string.Empty, 2, default);

        var third = await Replica.TryOpenAsync("watch", "d1", string.Empty, 2, default);
        var otherDevice = await OtherReplica.TryOpenAsync("watch", "d2", string.Empty, 2, default);
        var otherRoute = await Replica.TryOpenAsync("watch", "d1", "R-1", 2, default);
        var otherMethod = await Replica.TryOpenAsync("scan", "d1", string.Empty, 2, default);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(third);
        Assert.NotNull(otherDevice);
        Assert.NotNull(otherRoute);
        Assert.NotNull(otherMethod);
    }

    [Fact]
    public async Task Closed_FreesItsSlotOnce()
    {
        var held = await Replica.TryOpenAsync("watch", "d3", string.Empty, 1, default);
        Assert.NotNull(held);
        await held.DisposeAsync();
        await held.DisposeAsync();

        var again = await OtherReplica.TryOpenAsync("watch", "d3", string.Empty, 1, default);
        var past = await Replica.TryOpenAsync("watch", "d3", string.Empty, 1, default);

        Assert.NotNull(again);
        Assert.Null(past);
    }
}

public sealed class LocalDeviceStreamSlotsContract : DeviceStreamSlotsContract
{
    private readonly LocalDeviceStreamSlots _slots = new();

    internal override IDeviceStreamSlots Replica => _slots;

    internal override IDeviceStreamSlots OtherReplica => _slots;
}

[Collection(RedisCollection.Name)]
public sealed class RedisDeviceStreamSlotsContract : DeviceStreamSlotsContract
{
    private readonly RedisBackend _backend;
    private readonly RedisDeviceStreamSlots _replica;
    private readonly RedisDeviceStreamSlots _otherReplica;

    public RedisDeviceStreamSlotsContract(RedisServer redis)
    {
        _backend = new RedisBackend(redis, new FakeTimeProvider());
        _replica = Slots(TimeSpan.FromSeconds(30));
        _otherReplica = Slots(TimeSpan.FromSeconds(30));
    }

    internal override IDeviceStreamSlots Replica => _replica;

    internal override IDeviceStreamSlots OtherReplica => _otherReplica;

    [Fact]
    public async Task Lease_NotRenewed_RunsOut_AndItsSlotIsFree()
    {
        // Never started, so never renewed: as the leases of a replica that was killed.
        using var gone = Slots(TimeSpan.FromSeconds(1));
        Assert.NotNull(await gone.TryOpenAsync("watch", "d4", string.Empty, 1, default));
        Assert.Null(await _replica.TryOpenAsync("watch", "d4", string.Empty, 1, default));

        await TestIntake.WaitUntilAsync(async () => await _replica.TryOpenAsync("watch", "d4", string.Empty, 1, default) is not null,
            TimeSpan.FromSeconds(30), "the lease to run out");
    }

    public override void Dispose()
    {
        _replica.Dispose();
        _otherReplica.Dispose();
        _backend.Dispose();
        base.Dispose();
    }

    private RedisDeviceStreamSlots Slots(TimeSpan lease)
        => new(_backend.Redis, _backend.Keys, TimeProvider.System, Options.Create(new DeviceLimitOptions { StreamLease = lease }),
            NullLogger<RedisDeviceStreamSlots>.Instance);
}

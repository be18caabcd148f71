namespace Edge.Fleet.Links;

/// <summary>What passed through links, summed over every device that shares the instance.</summary>
internal sealed class LinkCounters
{
    private long _bytesUp;
    private long _bytesDown;
    private long _connections;
    private long _cuts;
    private long _stalls;

    public long BytesUp => Interlocked.Read(ref _bytesUp);

    public long BytesDown => Interlocked.Read(ref _bytesDown);

    public long Connections => Interlocked.Read(ref _connections);

    public long Cuts => Interlocked.Read(ref _cuts);

    public long Stalls => Interlocked.Read(ref _stalls);

    public void Forwarded(int bytes, bool up) => Interlocked.Add(ref up ? ref _bytesUp : ref _bytesDown, bytes);

    public void Connected() => Interlocked.Increment(ref _connections);

    public void Cut() => Interlocked.Increment(ref _cuts);

    public void Stalled() => Interlocked.Increment(ref _stalls);
}

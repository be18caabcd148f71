using System.Collections.Concurrent;

namespace Edge.Gateway.Uploads;

/// <summary>
/// The upload streams this replica is serving, by upload id, so that a newer stream for the same upload ends the older
/// one at once instead of leaving it to time out, and shutdown ends them all. Across replicas the epoch fence does
/// the same at the old writer's next commit.
/// </summary>
internal sealed class LocalWriters
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _writers = new(StringComparer.Ordinal);
    private int _writing;

    public LocalWriters(IHostApplicationLifetime lifetime)
    {
        // On shutdown, end every upload stream at once (its bytes saved) instead of letting the host wait for
        // clients that may never close: they resume on another replica or after the restart.
        lifetime.ApplicationStopping.Register(() =>
        {
            IsStopping = true;
            foreach (var writer in _writers.Values)
            {
                Cancel(writer);
            }
        });
    }

    /// <summary>True once the gateway has begun to shut down.</summary>
    public bool IsStopping { get; private set; }

    /// <summary>Registers a writer, cancelling any older writer of the same upload on this replica.</summary>
    public CancellationTokenSource Register(string uploadId, CancellationToken callCancelled)
    {
        var mine = CancellationTokenSource.CreateLinkedTokenSource(callCancelled);
        CancellationTokenSource? previous = null;
        _writers.AddOrUpdate(uploadId, mine, (_, old) =>
        {
            previous = old;
            return mine;
        });

        if (previous is not null && !ReferenceEquals(previous, mine))
        {
            Cancel(previous);
        }

        if (IsStopping)
        {
            Cancel(mine);
        }

        return mine;
    }

    private static void Cancel(CancellationTokenSource writer)
    {
        try
        {
            writer.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The writer finished meanwhile.
        }
    }

    /// <summary>Counts one more upload stream writing, unless <paramref name="max"/> already are.</summary>
    public bool TryStartWriting(int max)
    {
        var current = Volatile.Read(ref _writing);
        while (current < max)
        {
            var seen = Interlocked.CompareExchange(ref _writing, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Counts an upload stream that <see cref="TryStartWriting"/> let in as done.</summary>
    public void StopWriting() => Interlocked.Decrement(ref _writing);

    /// <summary>Removes the writer if it is still the registered one, and disposes its token source.</summary>
    public void Unregister(string uploadId, CancellationTokenSource writer)
    {
        _writers.TryRemove(KeyValuePair.Create(uploadId, writer));
        writer.Dispose();
    }
}

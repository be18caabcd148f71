using System.Collections.Concurrent;

namespace Edge.Gateway.Manifests;

/// <summary>
/// The newest version of each route this replica has heard of (from the core's version stream, a peer's
/// announcement or a fetch), and a signal per route for the devices watching it.
/// </summary>
internal sealed class ManifestVersions
{
    private readonly ConcurrentDictionary<string, long> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _changed = new(StringComparer.Ordinal);

    /// <summary>The newest version heard of, or 0.</summary>
    public long Latest(string routeId) => _latest.GetValueOrDefault(routeId);

    /// <summary>
    /// Records <paramref name="version"/> when it is newer than what was known, and wakes the route's watchers.
    /// Returns the version known before, or null when <paramref name="version"/> was not newer.
    /// </summary>
    public long? Advance(string routeId, long version)
    {
        while (true)
        {
            if (_latest.TryGetValue(routeId, out var previous))
            {
                if (previous >= version)
                {
                    return null;
                }

                if (!_latest.TryUpdate(routeId, version, previous))
                {
                    continue;
                }
            }
            else if (!_latest.TryAdd(routeId, version))
            {
                continue;
            }

            if (_changed.TryRemove(routeId, out var signal))
            {
                signal.TrySetResult();
            }

            return previous;
        }
    }

    /// <summary>A task that completes at the route's next version change. Take it before reading the current version.</summary>
    public Task NextChange(string routeId)
        => _changed.GetOrAdd(routeId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
}

using System.Threading.Channels;
using Core.V1;

namespace Edge.CoreSim.Manifests;

/// <summary>
/// Fans manifest version changes out to watchers. Each watcher keeps at most one pending change per route (the
/// latest), so a slow watcher costs bounded memory and still learns every route's newest version.
/// </summary>
internal sealed class ManifestVersionFeed
{
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];

    /// <summary>Starts collecting changes to <paramref name="routeIds"/> (every route when empty).</summary>
    public Subscription Subscribe(IReadOnlyCollection<string> routeIds)
    {
        var subscription = new Subscription(this, routeIds);
        lock (_gate)
        {
            _subscriptions.Add(subscription);
        }

        return subscription;
    }

    public void Publish(ManifestVersionChanged change)
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Post(change);
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    internal sealed class Subscription : IDisposable
    {
        private readonly ManifestVersionFeed _feed;
        private readonly HashSet<string> _routeIds;
        private readonly Lock _gate = new();
        private readonly Dictionary<string, ManifestVersionChanged> _pending = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        // Rung whenever something is pending; one ring covers any number of changes.
        private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        public Subscription(ManifestVersionFeed feed, IReadOnlyCollection<string> routeIds)
        {
            _feed = feed;
            _routeIds = new HashSet<string>(routeIds, StringComparer.Ordinal);
        }

        public bool Watches(string routeId) => _routeIds.Count == 0 || _routeIds.Contains(routeId);

        public void Post(ManifestVersionChanged change)
        {
            if (!Watches(change.RouteId))
            {
                return;
            }

            lock (_gate)
            {
                if (_pending.TryGetValue(change.RouteId, out var older))
                {
                    if (older.Version >= change.Version)
                    {
                        return;
                    }
                }
                else
                {
                    _order.Enqueue(change.RouteId);
                }

                _pending[change.RouteId] = change;
            }

            _doorbell.Writer.TryWrite(true);
        }

        /// <summary>Waits for changes and returns those pending, oldest route first.</summary>
        public async ValueTask<IReadOnlyList<ManifestVersionChanged>> NextAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                await _doorbell.Reader.ReadAsync(cancellationToken);
                lock (_gate)
                {
                    if (_order.Count == 0)
                    {
                        continue;
                    }

                    var changes = new List<ManifestVersionChanged>(_order.Count);
                    while (_order.TryDequeue(out var routeId))
                    {
                        changes.Add(_pending[routeId]);
                    }

                    _pending.Clear();
                    return changes;
                }
            }
        }

        public void Dispose() => _feed.Remove(this);
    }
}

using System.Collections.Concurrent;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// The resource versions a path of the hub has already handed on, the newest ten thousand: one version is one change
/// however often and whichever way it arrives; only a deletion is news about a version already seen.
/// </summary>
internal sealed class SeenVersions
{
    private const int Remembered = 10_000;

    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>True the first time this version (or its deletion) is seen.</summary>
    public bool Add(ResourceChange change)
    {
        var key = $"{change.ResourceType}/{change.Id}/{change.VersionId}" + (change.Kind == ChangeKind.Deleted ? "/deleted" : string.Empty);
        if (!_seen.TryAdd(key, 0))
        {
            return false;
        }

        _order.Enqueue(key);
        while (_order.Count > Remembered && _order.TryDequeue(out var old))
        {
            _seen.TryRemove(old, out _);
        }

        return true;
    }
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// The newest version of each resource the change stream carried to this instance lately (every change carries its
/// resource), so that resolving an event does not read from FHIR what the stream just brought: a booking writes
/// its slot and then its appointment, and the appointment's event finds the slot here.
/// <para>
/// The staleness rule: every write through any gateway instance is carried by the stream, and this instance hears it
/// at once (its own writes) or when it reads it (another instance's), before it runs any later event of the stream;
/// a FHIR read now would return that version or one written after it. A carried version is used while it is
/// younger than <see cref="ChangeHistoryOptions.CarriedResourceSeconds"/> (then FHIR is read again), so a write made
/// on the FHIR server directly, which reaches the stream only through the change feed, can be missed for that long
/// at most, as it can by the resource cache. A carried deletion answers "none", as a read would. Only versions are
/// shared, never decisions: what each subscriber receives is still decided per subscriber.
/// </para>
/// </summary>
public sealed class CarriedResources(TimeProvider time, TimeSpan window, int capacity = CarriedResources.DefaultCapacity)
{
    /// <summary>The most resources kept at once (the oldest go first).</summary>
    public const int DefaultCapacity = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<FhirReference, Carried> _newest = [];
    private readonly Queue<(FhirReference Key, Carried Entry)> _order = new();

    /// <summary>Keeps the change's version when it is the newest heard of its resource.</summary>
    public void Keep(ResourceEvent change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (window <= TimeSpan.Zero || !FhirReference.IsValidId(change.Id))
        {
            return;
        }

        var key = new FhirReference(change.ResourceType, change.Id);
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_newest.TryGetValue(key, out var known) && known.Change.LastUpdated > change.LastUpdated)
            {
                return; // an older version heard late
            }

            var entry = new Carried(change, now);
            _newest[key] = entry;
            _order.Enqueue((key, entry));
            while (_order.TryPeek(out var oldest) && (_order.Count > capacity || now - oldest.Entry.HeardAt > window))
            {
                _order.Dequeue();
                if (_newest.TryGetValue(oldest.Key, out var current) && current == oldest.Entry)
                {
                    _newest.Remove(oldest.Key);
                }
            }
        }
    }

    /// <summary>The carried version of the resource (null for a deletion), or nothing when none is carried within the window.</summary>
    public bool TryGet(FhirReference key, out Resource? resource)
    {
        resource = null;
        Carried? entry;
        lock (_gate)
        {
            if (!_newest.TryGetValue(key, out entry) || time.GetUtcNow() - entry.HeardAt > window)
            {
                return false;
            }
        }

        if (entry.Change.Kind == ChangeKind.Deleted)
        {
            return true;
        }

        // Parsed once for every event and subscriber; unreadable: read it from FHIR.
        resource = entry.Change.Resource;
        return resource is not null;
    }

    private sealed record Carried(ResourceEvent Change, DateTimeOffset HeardAt);
}

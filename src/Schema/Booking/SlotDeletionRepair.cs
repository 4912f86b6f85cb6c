using Hl7.Fhir.Model;

namespace Scheduling.Schema.Booking;

/// <summary>
/// The repair of an unfinished deleteSlots written write by write: it <b>finishes</b> the change once any of its
/// deletes landed, and otherwise rolls it back (<see cref="ScheduleChangeRollback"/> puts the slots it reserved back
/// as they were). Finishing was chosen over putting deleted slots back because a delete cannot be undone on every
/// FHIR R4 server (a create with a client-given id, "update as create", is optional; a new id is not the same slot
/// to whoever holds the old one), while finishing needs only a versioned delete, which every server has.
/// <para>
/// This is whole or absent because the change reserves every slot first (makes it busy-unavailable, tagged with its
/// id, If-Match on the version it checked free and unreferenced) and claims its guards, and only then deletes
/// (<see cref="Fhir.FhirChangeSet"/>): once a delete landed, every other slot of the change is reserved, so nobody
/// could book, hold or block it since. The rest is deleted when a fresh read shows it still carries the change's
/// tag (nobody wrote it since) and no appointment, of any status, points to it. A slot someone else wrote after the
/// reservation (a FHIR client outside the gateway) is theirs and stands.
/// </para>
/// </summary>
public static class SlotDeletionRepair
{
    /// <summary>The plan that finishes an interrupted slot deletion, or null when the change deletes nothing or none of its deletes landed.</summary>
    public static RepairPlan? Finishing(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var deleting = state.Planned.Where(p => p.IsDelete && p.ResourceType == "Slot").Select(p => p.Id!).ToHashSet(StringComparer.Ordinal);
        if (deleting.Count == 0 || deleting.All(id => state.Slots.Any(s => s.Id == id)))
        {
            return null;
        }

        var referenced = state.OnSlots.Concat(state.Appointments).SelectMany(ChangeRepair.SlotIds).ToHashSet(StringComparer.Ordinal);
        var rest = state.Slots
            .Where(s => s.Id is not null && deleting.Contains(s.Id) && ChangeIntent.IsTaggedBy(s, state.ChangeId) && !referenced.Contains(s.Id))
            .DistinctBy(s => s.Id)
            .ToList();
        return new RepairPlan([], [], Delete: rest);
    }
}

using Hl7.Fhir.Model;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// The rollback of an unfinished schedule-side change (block, unblock, createSlots), decided from fresh reads and
/// the slots its intent recorded as they were before. A resource still carrying the change's tag was written last
/// by it (nobody wrote it since); one that does not is someone else's now and stands, except as the invariants
/// below require. So:
/// <list type="bullet">
/// <item>A slot the change created and nobody wrote since (a block, a generated slot) is deleted.</item>
/// <item>A slot it updated and nobody wrote since goes back as it was (a block it retired stands again first, then
/// the slots it freed are marked again; a slot a block marked is free again), unless that would break an invariant:
/// a slot an appointment holds is left as it is; a slot is never put back taken without an appointment holding it;
/// a slot is never put back FREE under a block that stands after the repair (it stays marked).</item>
/// <item>A slot that was marked before the change and that someone since left FREE, under a block that stands after
/// the repair, is marked again: never a FREE slot under a standing block.</item>
/// </list>
/// </summary>
public static class ScheduleChangeRollback
{
    public static (IReadOnlyList<SlotRestore> Restore, IReadOnlyList<Slot> Delete) Decide(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var updated = state.Planned.Where(p => !p.IsCreate && p.ResourceType == "Slot").Select(p => p.Id!).ToHashSet(StringComparer.Ordinal);
        var createsSlots = state.Planned.Any(p => p.IsCreate && p.ResourceType == "Slot");
        var before = (state.Previous ?? []).OfType<Slot>().Where(s => s.Id is not null).DistinctBy(s => s.Id).ToDictionary(s => s.Id!, StringComparer.Ordinal);
        var held = state.OnSlots.Concat(state.Appointments).Where(SlotHolding.HoldsItsSlots).SelectMany(ChangeRepair.SlotIds).ToHashSet(StringComparer.Ordinal);
        bool Own(Slot slot) => ChangeIntent.IsTaggedBy(slot, state.ChangeId);

        var delete = createsSlots
            ? state.Slots.Where(s => s.Id is not null && !updated.Contains(s.Id) && Own(s) && !held.Contains(s.Id)).DistinctBy(s => s.Id).ToList()
            : [];
        var deleted = delete.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var touched = state.Slots.Where(s => s.Id is not null && updated.Contains(s.Id) && before.ContainsKey(s.Id) && !held.Contains(s.Id))
            .DistinctBy(s => s.Id).ToList();

        // The blocks it retired stand again; the blocks standing after the repair are those and the ones standing now it does not delete.
        var unretired = touched.Where(s => Own(s) && BlockNesting.IsBlock(before[s.Id!])).Select(s => new SlotRestore(s, before[s.Id!])).ToList();
        var standing = (state.Blocks ?? []).Concat(state.Slots)
            .Where(s => BlockNesting.IsBlock(s) && !deleted.Contains(s.Id) && unretired.All(u => u.Current.Id != s.Id))
            .Concat(unretired.Select(u => u.Target))
            .DistinctBy(s => s.Id)
            .ToList();
        Slot? CoveredBy(Slot slot) => standing.FirstOrDefault(b => b.Id != slot.Id && Overlap(b, slot));

        var restore = new List<SlotRestore>(unretired);
        foreach (var current in touched.Where(s => unretired.All(u => u.Current.Id != s.Id)))
        {
            var previous = before[current.Id!];
            if (Own(current))
            {
                var keepsInvariants = !SlotHolding.IsTaken(previous) && !(previous.Status == SlotStatus.Free && CoveredBy(previous) is not null);
                if (keepsInvariants)
                {
                    restore.Add(new SlotRestore(current, previous));
                }
            }
            else if (current.Status == SlotStatus.Free && BlockNesting.IsMarked(previous) && CoveredBy(current) is not null)
            {
                var marked = ChangeIntent.Untagged(current);
                marked.Status = SlotStatus.BusyUnavailable;
                marked.SetExtension(GatewayProfile.BlockedByExtension, previous.GetExtension(GatewayProfile.BlockedByExtension)!.Value!.DeepCopy());
                restore.Add(new SlotRestore(current, marked));
            }
        }

        return (restore, delete);
    }

    private static bool Overlap(Slot a, Slot b) =>
        TimeRange.Of(a.Start, a.End) is { } one && TimeRange.Of(b.Start, b.End) is { } other && one.Overlaps(other);
}

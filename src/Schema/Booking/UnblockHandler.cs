using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// unblockTime: the block retired and the slots it alone covered freed, as one change read fresh on every attempt
/// (<see cref="BlockNesting.Release"/>: time another block still covers stays unavailable). The change claims the
/// same span guards a block of that time claims, so a block and an unblock of overlapping time serialize. The
/// retired block (entered-in-error, blocking nothing) is then deleted.
/// </summary>
public sealed class UnblockHandler(ScheduleChanges changes)
{
    /// <summary>How far past a block's end a slot it marked may reach (a generated slot lasts at most a day).</summary>
    private static readonly TimeSpan MarkedSlotReach = TimeSpan.FromDays(1);

    public async Task<IReadOnlyList<string>> UnblockAsync(string slotId, CancellationToken cancellationToken)
    {
        changes.RequireManagerRole();
        var id = Mutations.RequireId(slotId, "slotId");
        await changes.RequireManagesSlotsAsync([await changes.Store.ReadRequiredAsync<Slot>(id, cancellationToken)], cancellationToken);
        return await changes.RetryingAsync(() => UnblockOnceAsync(id, cancellationToken),
            "The blocked time kept changing while it was being unblocked; it is still blocked. Try again.", cancellationToken);
    }

    private async Task<IReadOnlyList<string>> UnblockOnceAsync(string id, CancellationToken cancellationToken)
    {
        var store = changes.Store;
        var block = await store.ReadRequiredAsync<Slot>(id, cancellationToken);
        if (!BlockNesting.IsBlock(block) || TimeRange.Of(block.Start, block.End) is not { } span || FhirReference.From(block.Schedule) is not { } scheduleReference)
        {
            throw ScheduleChanges.Fail(new ValidationError("That slot is not a block made by blockTime.", "slotId"));
        }

        var schedule = await store.ReadRequiredAsync<Schedule>(scheduleReference.Id, cancellationToken);
        var guards = await changes.Guards.ReadAsync(BookingChecks.Actors(schedule), span, [ScheduleChanges.SlotsGuardKey(schedule.Id!)], cancellationToken);
        var slots = await store.SearchAllAsync<Slot>(SlotSearches.Overlapping([schedule.Id!], span.Start, span.End + MarkedSlotReach), cancellationToken);
        var marked = slots.Where(s => BlockNesting.IsMarked(s) && TimeRange.Of(s.Start, s.End) is { } time && time.Overlaps(span)).Select(s => s.Id!).ToList();
        var holders = marked.Count == 0 ? [] : await store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots(marked), cancellationToken);
        var held = SlotHolding.HeldSlots(holders);

        var release = BlockNesting.Release(block, slots, held);
        var writes = release.Select(r =>
        {
            var freed = (Slot)r.Slot.DeepCopy();
            freed.Status = r.Status;
            freed.RemoveExtension(GatewayProfile.BlockedByExtension);
            return FhirWrite.Update(r.Slot, freed);
        }).ToList();
        var retired = (Slot)block.DeepCopy();
        retired.Status = SlotStatus.EnteredInError;
        writes.Add(FhirWrite.Update(block, retired));
        var retiredAt = writes.Count - 1;
        writes.AddRange(SpanGuards.Claim(guards));
        var written = await changes.ApplyAsync(writes, cancellationToken);

        try
        {
            // Not part of the change (FHIR writes here are creates and updates): a retired block left behind blocks nothing.
            await store.DeleteAsync(written[retiredAt], CancellationToken.None);
        }
        catch (FhirException)
        {
            // Someone wrote it since: it stays retired (entered-in-error).
        }

        return [.. release.Where(r => r.Status == SlotStatus.Free).Select(r => r.Slot.Id!)];
    }
}

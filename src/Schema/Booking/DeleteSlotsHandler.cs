using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// deleteSlots: deletes free slots that no appointment has ever pointed to. A slot an appointment references, even a
/// cancelled one, is kept (FHIR R4 Appointment.slot is the appointment's record of its time: deleting the slot would
/// leave a dangling reference), refused with a <see cref="ValidationError"/> naming the rule
/// <c>slot-referenced</c>. An expired hold is not in the way: it is released first (its slot is then refused as
/// referenced by the cancelled hold, not as unavailable). Each delete is versioned (If-Match): a slot booked, held or blocked meanwhile is kept.
/// </summary>
public sealed class DeleteSlotsHandler(ScheduleChanges changes, HoldExpiry expiry)
{
    public const string ReferencedRule = "slot-referenced";

    public async Task<IReadOnlyList<string>> DeleteAsync(IEnumerable<string> slotIds, CancellationToken cancellationToken)
    {
        changes.RequireManagerRole();
        var store = changes.Store;
        var ids = (slotIds ?? []).Distinct().Select(id => Mutations.RequireId(id, "slotIds")).ToList();
        var slots = ids.Count == 0 ? [] : await store.SearchAllAsync<Slot>(SlotSearches.ByIds(ids), cancellationToken);
        if (ids.FirstOrDefault(id => slots.All(s => s.Id != id)) is { } missing)
        {
            throw ScheduleChanges.Fail(new NotFoundError($"Slot/{missing} does not exist.", "Slot", missing));
        }

        // Whose slots first: a caller who may not manage them learns nothing of their status (booked or free).
        await changes.RequireManagesSlotsAsync(slots, cancellationToken);
        if (await expiry.ReleaseHoldingAsync(slots, cancellationToken))
        {
            slots = await store.SearchAllAsync<Slot>(SlotSearches.ByIds(ids), cancellationToken);
        }
        if (slots.Where(s => s.Status != SlotStatus.Free).Select(s => s.Id!).ToList() is { Count: > 0 } notFree)
        {
            throw ScheduleChanges.Fail(new SlotUnavailableError("Only free slots can be deleted.", notFree));
        }

        var referenced = (await store.SearchAllAsync<Appointment>(AppointmentSearches.OnSlots(ids), cancellationToken))
            .SelectMany(a => a.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id))
            .Where(ids.Contains)
            .Distinct()
            .ToList();
        if (referenced.Count > 0)
        {
            throw ScheduleChanges.Fail(new ValidationError(
                $"Slots an appointment points to (cancelled ones too) are kept as its record: {string.Join(", ", referenced)}. Block the time instead.",
                "slotIds", ReferencedRule));
        }

        var deleted = new List<string>();
        foreach (var slot in slots)
        {
            try
            {
                await store.DeleteAsync(slot, cancellationToken);
                deleted.Add(slot.Id!);
            }
            catch (FhirVersionConflictException)
            {
                throw ScheduleChanges.Fail(new SlotUnavailableError(
                    $"Slot {slot.Id} changed meanwhile and was kept; deleted before it: {string.Join(", ", deleted)}.", [slot.Id!]));
            }
        }

        return deleted;
    }
}

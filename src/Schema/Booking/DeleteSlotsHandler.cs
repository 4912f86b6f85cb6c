using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// deleteSlots: deletes free slots that no appointment has ever pointed to, as one change, whole or not at all. A
/// slot an appointment references, even a cancelled one, is kept (FHIR R4 Appointment.slot is the appointment's
/// record of its time: deleting the slot would leave a dangling reference), refused with a
/// <see cref="ValidationError"/> naming the rule <c>slot-referenced</c>. An expired hold is not in the way: it is
/// released first (its slot is then refused as referenced by the cancelled hold, not as unavailable).
/// <para>
/// The deletes go through <see cref="ScheduleChanges"/> like block, unblock and createSlots: each at the version
/// checked (If-Match), with the slots guard of every schedule concerned claimed last
/// (<see cref="ScheduleChanges.SlotsGuardKey"/>), so a block or createSlots reading those slots meanwhile reads
/// again. With transactions, one Bundle of <c>DELETE</c> entries and guard claims. Write by write, each slot is first
/// reserved (busy-unavailable, "Being deleted") so nobody books, holds or blocks it while the others go, and a change
/// interrupted before its first delete is rolled back, after it finished (<see cref="SlotDeletionRepair"/>). A
/// slot booked, held or blocked before the change's write makes the whole change read again, then refuse.
/// </para>
/// </summary>
public sealed class DeleteSlotsHandler(ScheduleChanges changes, HoldExpiry expiry)
{
    public const string ReferencedRule = "slot-referenced";

    public const string ReservedComment = "Being deleted";

    public async Task<IReadOnlyList<string>> DeleteAsync(IEnumerable<string> slotIds, CancellationToken cancellationToken)
    {
        changes.RequireManagerRole();
        var ids = (slotIds ?? []).Distinct().Select(id => Mutations.RequireId(id, "slotIds")).ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        var slots = await ReadAsync(ids, cancellationToken);

        // Whose slots first: a caller who may not manage them learns nothing of their status (booked or free).
        await changes.RequireManagesSlotsAsync(slots, cancellationToken);
        await expiry.ReleaseHoldingAsync(slots, cancellationToken);
        var guardKeys = slots.Select(s => FhirReference.From(s.Schedule)?.Id).OfType<string>().Distinct().Select(ScheduleChanges.SlotsGuardKey).ToList();
        return await changes.RetryingAsync(() => DeleteOnceAsync(ids, guardKeys, cancellationToken),
            "The slots kept changing while they were being deleted; none was deleted. Try again.", cancellationToken);
    }

    private async Task<IReadOnlyList<string>> DeleteOnceAsync(List<string> ids, List<string> guardKeys, CancellationToken cancellationToken)
    {
        // The guards first, then the slots: a change that commits after this read changes a guard's version.
        var guards = await changes.Guards.ReadAsync([], new TimeRange(changes.Now, changes.Now), guardKeys, cancellationToken);
        var slots = await ReadAsync(ids, cancellationToken);
        if (slots.Where(s => s.Status != SlotStatus.Free).Select(s => s.Id!).ToList() is { Count: > 0 } notFree)
        {
            throw ScheduleChanges.Fail(new SlotUnavailableError("Only free slots can be deleted.", notFree));
        }

        var referenced = (await changes.Store.SearchAllAsync<Appointment>(AppointmentSearches.OnSlots(ids), cancellationToken))
            .SelectMany(ChangeRepair.SlotIds)
            .Where(ids.Contains)
            .Distinct()
            .ToList();
        if (referenced.Count > 0)
        {
            throw ScheduleChanges.Fail(new ValidationError(
                $"Slots an appointment points to (cancelled ones too) are kept as its record: {string.Join(", ", referenced)}. Block the time instead.",
                "slotIds", ReferencedRule));
        }

        List<FhirWrite> writes = [.. slots.Select(slot => FhirWrite.Delete(slot, Reserved(slot))), .. SpanGuards.Claim(guards)];
        await changes.ApplyAsync(writes, cancellationToken);
        return [.. slots.Select(s => s.Id!)];
    }

    /// <summary>The slots by id, every one of them, or a typed not-found naming the first missing.</summary>
    private async Task<IReadOnlyList<Slot>> ReadAsync(List<string> ids, CancellationToken cancellationToken)
    {
        var slots = await changes.Store.SearchAllAsync<Slot>(SlotSearches.ByIds(ids), cancellationToken);
        if (ids.FirstOrDefault(id => slots.All(s => s.Id != id)) is { } missing)
        {
            throw ScheduleChanges.Fail(new NotFoundError($"Slot/{missing} does not exist.", "Slot", missing));
        }

        return slots;
    }

    /// <summary>What a slot is while the change deletes it write by write: taken by nobody, offered to nobody.</summary>
    private static Slot Reserved(Slot slot)
    {
        var reserved = (Slot)slot.DeepCopy();
        reserved.Status = SlotStatus.BusyUnavailable;
        reserved.Comment = ReservedComment;
        return reserved;
    }
}

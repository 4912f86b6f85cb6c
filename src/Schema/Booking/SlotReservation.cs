using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// The slots a change takes or gives up: resolved from ids (real Slots, or rule options planned without writing),
/// written only once every check has passed, and freed unless another active appointment still holds them.
/// </summary>
public sealed class SlotReservation(IFhirStore store, RuleSlots ruleSlots)
{
    public const int MaxSlots = 24;

    /// <summary>
    /// The slots to take, ordered and contiguous. Writes nothing and judges no status: whether each may be taken is
    /// decided after authorization, with busy time (<see cref="BookingChecks"/>).
    /// </summary>
    public async Task<List<Slot>> PlanAsync(IEnumerable<string> slotIds, CancellationToken cancellationToken)
    {
        var ids = (slotIds ?? []).Distinct().ToList();
        if (ids.Count == 0 || ids.Count > MaxSlots)
        {
            throw Fail(new ValidationError($"Give between 1 and {MaxSlots} slot ids.", "slotIds"));
        }

        var real = ids.Where(FhirReference.IsValidId).ToList();
        var slots = real.Count == 0 ? [] : (await store.SearchAllAsync<Slot>(SlotSearches.ByIds(real), cancellationToken)).ToList();
        foreach (var id in ids.Where(id => !slots.Any(s => s.Id == id)))
        {
            slots.Add((FhirReference.IsValidId(id) ? null : await ruleSlots.PlanAsync(id, cancellationToken)) ??
                throw Fail(new NotFoundError($"Slot {id} does not exist.", "Slot", id)));
        }

        if (slots.Any(s => s.Start is null || s.End is null))
        {
            throw Fail(new ValidationError("A slot without start and end cannot be booked.", "slotIds"));
        }

        slots = [.. slots.OrderBy(s => s.Start)];

        for (var i = 1; i < slots.Count; i++)
        {
            if (slots[i].Start != slots[i - 1].End)
            {
                throw Fail(new ValidationError("The slots of one booking must follow each other without gaps.", "slotIds"));
            }
        }

        return slots;
    }

    /// <summary>Writes the planned rule slots (after the checks) and returns every slot with its id.</summary>
    public async Task<List<Slot>> MaterializeAsync(List<Slot> planned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        var slots = new List<Slot>(planned.Count);
        foreach (var slot in planned)
        {
            slots.Add(slot.Id is null ? await ruleSlots.MaterializeAsync(slot, cancellationToken) : slot);
        }

        return slots;
    }

    public async Task<List<Slot>> OfAsync(Appointment appointment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        var ids = appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id).Distinct().ToList();
        return ids.Count == 0 ? [] : [.. await store.SearchAllAsync<Slot>(SlotSearches.ByIds(ids), cancellationToken)];
    }

    /// <summary>Writes that free the slots an appointment gives up, unless another appointment still holds them (<see cref="SlotHolding"/>).</summary>
    public async Task<List<FhirWrite>> FreeWritesAsync(List<Slot> slots, string appointmentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slots);
        var occupied = slots.Where(SlotHolding.IsTaken).ToList();
        if (occupied.Count == 0)
        {
            return [];
        }

        var others = await store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots(occupied.Select(s => s.Id!)), cancellationToken);
        var stillHeld = SlotHolding.HeldSlots(others.Where(a => a.Id != appointmentId));
        return [.. occupied.Where(s => !stillHeld.ContainsKey(s.Id!)).Select(s => Retag(s, SlotStatus.Free))];
    }

    public static FhirWrite Retag(Slot slot, SlotStatus status)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var changed = (Slot)slot.DeepCopy();
        changed.Status = status;
        return FhirWrite.Update(slot, changed);
    }

    /// <summary>Free, or already busy but marked overbooked (the only way a slot takes a second appointment).</summary>
    public static bool IsTakeable(Slot slot) =>
        slot?.Status == SlotStatus.Free || (slot?.Status == SlotStatus.Busy && slot.Overbooked == true);

    private static SchedulingException Fail(SchedulingError error) => new(error);
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>What a repair of an interrupted change writes: appointments to cancel, then slots to free.</summary>
public sealed record RepairPlan(IReadOnlyList<Appointment> Cancel, IReadOnlyList<Slot> Free)
{
    public bool IsEmpty => Cancel.Count == 0 && Free.Count == 0;
}

/// <summary>
/// The repair of a change whose instance died mid-way (or whose undo could not finish), decided from fresh reads
/// alone, whatever the change was (book, hold, reschedule, cancel): it restores the booking invariants rather than
/// the versions before the change, which no other instance knows.
/// <list type="bullet">
/// <item>An active appointment this change wrote last whose slots are not all taken (BUSY or BUSY_TENTATIVE) is
/// cancelled: the change did not finish, so its caller never heard of a success, and taking the slots again now
/// would skip the busy-time checks made when the change began.</item>
/// <item>A slot this change wrote last that is BUSY or BUSY_TENTATIVE and that no appointment holds (an active one,
/// or a no-show or fulfilled one, whose time was used) is freed.</item>
/// </list>
/// Only what carries the change's tag is touched: what another change wrote since is that change's.
/// </summary>
public static class ChangeRepair
{
    /// <param name="changeId">The interrupted change.</param>
    /// <param name="slots">Fresh: the slots the change wrote and the slots of the appointments it wrote.</param>
    /// <param name="appointments">Fresh: the appointments the change wrote.</param>
    /// <param name="onSlots">Fresh: every appointment (any status) that points to one of <paramref name="slots"/>.</param>
    public static RepairPlan Decide(string changeId, IReadOnlyList<Slot> slots, IReadOnlyList<Appointment> appointments, IReadOnlyList<Appointment> onSlots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(appointments);
        ArgumentNullException.ThrowIfNull(onSlots);
        var taken = slots.Where(s => s.Status is SlotStatus.Busy or SlotStatus.BusyTentative).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var cancel = appointments
            .Where(a => ChangeIntent.IsTaggedBy(a, changeId) && AppointmentSearches.IsActive(a))
            .Where(a => a.Slot.Count == 0 || SlotIds(a).Any(id => !taken.Contains(id)))
            .ToList();
        var cancelled = cancel.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        var held = onSlots.Concat(appointments)
            .Where(a => !cancelled.Contains(a.Id) && HoldsItsSlots(a))
            .SelectMany(SlotIds)
            .ToHashSet(StringComparer.Ordinal);
        var free = slots
            .Where(s => ChangeIntent.IsTaggedBy(s, changeId) && taken.Contains(s.Id) && !held.Contains(s.Id!))
            .DistinctBy(s => s.Id)
            .ToList();
        return new RepairPlan(cancel, free);
    }

    /// <summary>An appointment keeps its slots busy unless cancelled or entered in error (a no-show's time was used).</summary>
    public static bool HoldsItsSlots(Appointment appointment) =>
        appointment?.Status is { } status && status is not (AppointmentStatus.Cancelled or AppointmentStatus.EnteredInError);

    private static IEnumerable<string> SlotIds(Appointment appointment) =>
        appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Where(r => r.ResourceType == "Slot").Select(r => r.Id);
}

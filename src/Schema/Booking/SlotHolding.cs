using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// What an appointment's status means for its slots: the one mapping that every path writes (book, hold, confirm,
/// respond, reschedule, unblock) and every reader of "who holds this slot" goes by (freeing slots, unblocking, crash
/// repair, schedule rollback). After FHIR R4 (SCHEDULING.md, the booking lifecycle): a proposed or pending
/// appointment holds its slots BUSY_TENTATIVE; a booked, arrived or checked-in one BUSY, and so does a
/// no-show or a fulfilled one (its time was used, nothing frees it); a cancelled or entered-in-error one holds
/// nothing, its slots FREE, and so does a waitlisted one (it waits for time and takes none: README "Waitlist"). An appointment holds its slots exactly when its status maps to a taken slot status.
/// </summary>
public static class SlotHolding
{
    /// <summary>The statuses in which an appointment holds its slots (busy or busy-tentative), derived from <see cref="SlotStatusFor"/>.</summary>
    public static readonly IReadOnlyList<AppointmentStatus> HoldingStatuses =
        [.. Enum.GetValues<AppointmentStatus>().Where(s => IsTaken(SlotStatusFor(s)))];

    /// <summary>The status an appointment of this status leaves its slots in.</summary>
    public static SlotStatus SlotStatusFor(AppointmentStatus status) => status switch
    {
        AppointmentStatus.Proposed or AppointmentStatus.Pending => SlotStatus.BusyTentative,
        AppointmentStatus.Booked or AppointmentStatus.Arrived or AppointmentStatus.CheckedIn => SlotStatus.Busy,
        AppointmentStatus.Fulfilled or AppointmentStatus.Noshow => SlotStatus.Busy,
        AppointmentStatus.Cancelled or AppointmentStatus.EnteredInError or AppointmentStatus.Waitlist => SlotStatus.Free,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not an R4 appointment status."),
    };

    /// <summary>The status the appointment's slots are in while it has its status (a status-less one holds nothing).</summary>
    public static SlotStatus SlotStatusFor(Appointment appointment) =>
        appointment?.Status is { } status ? SlotStatusFor(status) : SlotStatus.Free;

    /// <summary>Whether the appointment holds its slots: its status maps to a taken slot status.</summary>
    public static bool HoldsItsSlots(Appointment appointment) => IsTaken(SlotStatusFor(appointment));

    /// <summary>Taken by an appointment: BUSY or BUSY_TENTATIVE (a block's BUSY_UNAVAILABLE is not an appointment's).</summary>
    public static bool IsTaken(Slot slot) => slot?.Status is { } status && IsTaken(status);

    public static bool IsTaken(SlotStatus status) => status is SlotStatus.Busy or SlotStatus.BusyTentative;

    /// <summary>
    /// Slot id → the status its holders leave it in, over the appointments that hold slots: BUSY when any holder's
    /// status maps to BUSY (an overbooked slot's), else BUSY_TENTATIVE. Slots no appointment holds are absent.
    /// </summary>
    public static IReadOnlyDictionary<string, SlotStatus> HeldSlots(IEnumerable<Appointment> appointments)
    {
        var held = new Dictionary<string, SlotStatus>(StringComparer.Ordinal);
        foreach (var appointment in (appointments ?? []).Where(HoldsItsSlots))
        {
            var status = SlotStatusFor(appointment);
            foreach (var id in appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Where(r => r.ResourceType == "Slot").Select(r => r.Id))
            {
                held[id] = held.TryGetValue(id, out var before) && before == SlotStatus.Busy ? before : status;
            }
        }

        return held;
    }
}

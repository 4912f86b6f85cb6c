using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// What stands at a moment, the one predicate for every path (blocks, deletes, availability, booking, the rules,
/// every transition): an appointment stands while it is active and not a hold past its expiry
/// (<see cref="GatewayProfile.IsExpiredHold"/>); a slot stands in the way while it is busy, held or blocked, except a
/// BUSY_TENTATIVE slot whose only active holders are expired holds. A hold is dead at its expiry whether or not the
/// sweeper has run; where it is in the way, it is released (<see cref="HoldExpiry"/>), not refused.
/// </summary>
public static class StandingTime
{
    /// <summary>Whether an appointment takes its actors' time: active, not a hold past its expiry, not a series' template (<see cref="GatewayProfile.IsSeriesTemplate"/>).</summary>
    public static bool Stands(Appointment appointment, DateTimeOffset now) =>
        AppointmentSearches.IsActive(appointment) && !GatewayProfile.IsExpiredHold(appointment, now) && !GatewayProfile.IsSeriesTemplate(appointment);

    /// <summary>The ids of the slots that, among these appointments, only expired holds hold.</summary>
    public static IReadOnlySet<string> HeldOnlyByExpiredHolds(IEnumerable<Appointment> appointments, DateTimeOffset now)
    {
        var expired = new HashSet<string>();
        var standing = new HashSet<string>();
        foreach (var appointment in (appointments ?? []).Where(AppointmentSearches.IsActive))
        {
            (GatewayProfile.IsExpiredHold(appointment, now) ? expired : standing).UnionWith(SlotIds(appointment));
        }

        expired.ExceptWith(standing);
        return expired;
    }

    /// <summary>Busy, held or blocked, and not held only by expired holds (<paramref name="deadHeld"/>, from <see cref="HeldOnlyByExpiredHolds"/>).</summary>
    public static bool Stands(Slot slot, IReadOnlySet<string> deadHeld)
    {
        ArgumentNullException.ThrowIfNull(deadHeld);
        return BusyTime.IsBusy(slot) && !IsDeadHeld(slot, deadHeld);
    }

    /// <summary>A BUSY_TENTATIVE slot whose only holders are expired holds: free time, once they are released.</summary>
    public static bool IsDeadHeld(Slot slot, IReadOnlySet<string> deadHeld) =>
        slot?.Status == SlotStatus.BusyTentative && slot.Id is { } id && (deadHeld?.Contains(id) ?? false);

    /// <summary>The one refusal of a change to a hold past its expiry: it is void, whatever the change (confirm, answer, cancel, move).</summary>
    public static void RefuseExpiredHold(Appointment appointment, DateTimeOffset now, AppointmentStatus to)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        if (GatewayProfile.IsExpiredHold(appointment, now))
        {
            throw AppointmentChanges.Transition(appointment, to,
                $"The hold expired at {InstantText.Iso(GatewayProfile.HoldExpiry(appointment)!.Value)}; it is void and is released by itself.");
        }
    }

    private static IEnumerable<string> SlotIds(Appointment appointment) =>
        appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id);
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// The writes that take an appointment's time: its slots' new status, to write before the appointment, and the span
/// guards to claim as the change's last writes (<see cref="SpanGuards"/>).
/// </summary>
public sealed record TakenTime(IReadOnlyList<FhirWrite> SlotWrites, IReadOnlyList<FhirWrite> GuardWrites);

/// <summary>
/// An existing appointment taking the time its slots name (respond's "all required accepted", confirm): the same
/// path as booking, not a retag of whatever its slots say. Its slots must exist, follow each other and be its own
/// (busy or busy-tentative) or free; then every check of <see cref="BookingChecks"/> (one active schedule the caller
/// may book on, its practitioners actors of it, future, horizon, busy time over the whole span with the appointment
/// itself left out) and the span guards. A proposed appointment written by another FHIR client over time someone
/// else holds, or a hold whose slots were freed meanwhile and taken, is refused here as a booking would be. An
/// appointment that becomes open here (a proposed one accepted) answers to the booking rules and claims its
/// patient's guard like a new booking; one open already (a hold confirmed or accepted) keeps the rules it passed
/// (<see cref="BookingRules"/>).
/// </summary>
public sealed class AppointmentTimeTaking(SlotReservation reservation, BookingChecks checks, BookingRules rules, IFhirStore store)
{
    /// <summary>The writes that take <paramref name="appointment"/>'s time as <paramref name="changed"/> (its slots as its new status leaves them: <see cref="SlotHolding"/>).</summary>
    public async Task<TakenTime> TakeAsync(Appointment appointment, Appointment changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        var ids = appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Where(r => r.ResourceType == "Slot").Select(r => r.Id).Distinct().ToList();
        if (ids.Count == 0)
        {
            throw AppointmentChanges.Fail(new ValidationError("An appointment without slots takes no time here; reschedule it onto slots first.", "appointmentId", "appointment-slots"));
        }

        // Every slot counts as its own (after authorization, each must be free, busy or held, not blocked): a slot
        // that is busy or held for another appointment is that appointment's, which busy time finds.
        var parts = await reservation.PlanPartsAsync(new BookingTime(ids, null), cancellationToken);
        // The booking rules where it becomes open (a proposed appointment accepted), with the patient's guard; a hold
        // confirmed or accepted keeps the rules it passed (BookingRules.ScopeOf).
        var scope = BookingRules.ScopeOf(appointment.Status, changed.Status ?? AppointmentStatus.Booked, moves: false);
        var patient = BookingRules.PatientOf(appointment);
        // Each schedule its slots are on (several resources at once) checked as a booking checks it (MultiResource.SpanParts).
        // The rules judge the change once, with every part (RuleJudging).
        var judging = rules.Judging(scope, async () => patient is { } p ? await store.ReadRequiredAsync<Patient>(p.Id, cancellationToken) : null,
            parts, appointment, store, cancellationToken);
        var checkedParts = await MultiResource.SpanParts.CheckAllAsync(parts, ScheduleParticipants.PractitionersOf(appointment), (planned, named) =>
            checks.CheckAsync(
                new SpanRequest(planned, named, appointment.Id, rules.GuardedPatient(scope, patient?.Id), AlreadyOurs: ids.ToHashSet()),
                judging,
                cancellationToken));
        // Each slot as its seats are with the changed appointment on it (SlotSeats; a one-seat slot takes its status).
        return new TakenTime(
            [.. parts.SelectMany((planned, i) => planned.Where(s => SlotSeats.IsShared(s) || s.Status != SlotSeats.StatusWith(s, [changed])).Select(s => checkedParts[i].Take(s, changed)))],
            [.. MultiResource.SpanParts.GuardWrites(checkedParts)]);
    }
}

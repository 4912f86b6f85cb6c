using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>A move planned by <see cref="RescheduleHandler.PlanMoveAsync"/>: the moved appointment, its writes (guards not included), the guards to claim.</summary>
public sealed record PlannedMove(Appointment Moved, List<FhirWrite> Writes, IReadOnlyList<Basic> Guards);

/// <summary>
/// rescheduleAppointment: takes the new slots and frees the old ones as one change, after every check booking
/// makes (<see cref="BookingChecks"/>: one active schedule the caller may book on, the appointment's practitioners
/// its actors, horizon, busy time) and the booking rules.
/// </summary>
public sealed class RescheduleHandler(AppointmentChanges changes, SlotReservation reservation, BookingChecks checks, BookingRules rules)
{
    /// <summary>
    /// Moves the appointment; a lost race reads everything again (<see cref="ContendedRetry"/>: the change that won
    /// may not be in this one's way), and expired holds in the new span are released and the time taken (<see cref="BookingChecks"/>).
    /// </summary>
    public Task<Appointment> RescheduleAsync(RescheduleAppointmentInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return changes.Retry.RunAsync(() => MoveAsync(input, cancellationToken),
            ContendedRetry.LostMessage, cancellationToken);
    }

    private async Task<Appointment> MoveAsync(RescheduleAppointmentInput input, CancellationToken cancellationToken)
    {
        var appointment = await changes.ReadToChangeAsync(input.AppointmentId, cancellationToken);
        var move = await PlanMoveAsync(appointment, BookingTime.Of(input.SlotIds, input.Time), cancellationToken);
        return (Appointment)(await changes.ApplyContendedAsync([.. move.Writes, .. SpanGuards.Claim(move.Guards)], cancellationToken)).First(r => r is Appointment);
    }

    /// <summary>
    /// One move, checked and planned, not applied (a series moved from an occurrence on plans one per occurrence
    /// and applies them as one change): the new slots taken, the appointment updated, the old slots settled; the
    /// span guards to claim as the change's last writes.
    /// </summary>
    internal async Task<PlannedMove> PlanMoveAsync(Appointment appointment, BookingTime time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        StandingTime.RefuseExpiredHold(appointment, changes.Now, AppointmentStatus.Booked);
        if (!AppointmentSearches.IsOpen(appointment.Status))
        {
            // Open stays open: a move answers to every booking rule but the open-bookings limit (BookingRules).
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Booked, "Only a booked or standing held appointment can be rescheduled.");
        }

        var oldSlots = await reservation.OfAsync(appointment, cancellationToken);
        var planned = await reservation.PlanAsync(time, cancellationToken);
        var span = new TimeRange(planned[0].Start!.Value, planned[^1].End!.Value);
        var request = new SpanRequest(planned, ScheduleParticipants.AnsweringOf(appointment), appointment.Id, AlreadyOurs: oldSlots.Select(s => s.Id!).ToHashSet());
        // The patient only after the booking rights on the target schedule are checked (as booking reads it); the
        // rules (a move: BookingRules) before any guard is written.
        var scope = BookingRules.ScopeOf(appointment.Status, appointment.Status!.Value, moves: true);
        var checkedSpan = await checks.CheckAsync(request,
            rules.Judging(scope, async () => await PatientOfAsync(appointment, cancellationToken), planned, appointment.Id, changes.Store, cancellationToken),
            cancellationToken);
        var schedule = checkedSpan.Schedule;

        var newSlots = await reservation.MaterializeAsync(planned, cancellationToken);
        var keep = newSlots.Select(s => s.Id).ToHashSet();
        var moved = (Appointment)appointment.DeepCopy();
        moved.Slot = [.. newSlots.Select(s => new ResourceReference("Slot/" + s.Id))];
        moved.Start = span.Start;
        moved.End = span.End;
        moved.MinutesDuration = (int)span.Length.TotalMinutes;
        // The patient and the answering practitioner stay; the other actors taking part are the new schedule's.
        ScheduleParticipants.MoveTo(moved, BookingChecks.Actors(schedule));
        Series.SeriesProfile.MarkChanged(moved);
        // The new slots as their seats are with the moved appointment on them (SlotSeats), the old ones as it leaves them.
        var writes = newSlots.Where(s => !oldSlots.Any(o => o.Id == s.Id)).Select(s => checkedSpan.Take(s, moved)).ToList();
        writes.Add(FhirWrite.Update(appointment, moved));
        writes.AddRange(await reservation.SettleWritesAsync([.. oldSlots.Where(s => !keep.Contains(s.Id))], moved, cancellationToken));
        return new PlannedMove(moved, writes, checkedSpan.Guards);
    }

    private async Task<Patient> PatientOfAsync(Appointment appointment, CancellationToken cancellationToken) =>
        BookingRules.PatientOf(appointment) is { } patient
            ? await changes.Store.ReadRequiredAsync<Patient>(patient.Id, cancellationToken)
            : throw AppointmentChanges.Fail(new ValidationError("The appointment has no patient.", "appointmentId"));
}

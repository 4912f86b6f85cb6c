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
        // One part per schedule the new time takes (several resources at once: SlotReservation.PlanPartsAsync), each
        // checked as a booking checks it (MultiResource.SpanParts).
        var parts = await reservation.PlanPartsAsync(time, cancellationToken);
        var span = SlotReservation.SpanOf(parts[0]);
        var ours = oldSlots.Select(s => s.Id!).ToHashSet();
        // The patient only after the booking rights on the target schedule are checked (as booking reads it); the
        // rules (a move: BookingRules) before any guard is written.
        var scope = BookingRules.ScopeOf(appointment.Status, appointment.Status!.Value, moves: true);
        // The rules judge the move once, with every part (RuleJudging).
        var judging = rules.Judging(scope, async () => await PatientOfAsync(appointment, cancellationToken), parts, appointment, changes.Store, cancellationToken);
        var checkedParts = await MultiResource.SpanParts.CheckAllAsync(parts, ScheduleParticipants.AnsweringOf(appointment), (planned, named) =>
            checks.CheckAsync(new SpanRequest(planned, named, appointment.Id, AlreadyOurs: ours), judging, cancellationToken));

        var slotsByPart = new List<List<Slot>>(parts.Count);
        foreach (var planned in parts)
        {
            slotsByPart.Add(await reservation.MaterializeAsync(planned, cancellationToken));
        }

        var newSlots = slotsByPart.SelectMany(s => s).ToList();
        var keep = newSlots.Select(s => s.Id).ToHashSet();
        var moved = (Appointment)appointment.DeepCopy();
        moved.Slot = [.. newSlots.Select(s => new ResourceReference("Slot/" + s.Id))];
        moved.Start = span.Start;
        moved.End = span.End;
        moved.MinutesDuration = (int)span.Length.TotalMinutes;
        // The patient and the answering practitioner stay; the other actors taking part are the new schedule's.
        ScheduleParticipants.MoveTo(moved, MultiResource.SpanParts.Actors(checkedParts));
        Series.SeriesProfile.MarkChanged(moved);
        // The new slots as their seats are with the moved appointment on them (SlotSeats), the old ones as it leaves them.
        var writes = checkedParts.SelectMany((part, i) => slotsByPart[i].Where(s => !ours.Contains(s.Id!)).Select(s => part.Take(s, moved))).ToList();
        writes.Add(FhirWrite.Update(appointment, moved));
        writes.AddRange(await reservation.SettleWritesAsync([.. oldSlots.Where(s => !keep.Contains(s.Id))], moved, cancellationToken));
        return new PlannedMove(moved, writes, MultiResource.SpanParts.Guards(checkedParts));
    }

    private async Task<Patient> PatientOfAsync(Appointment appointment, CancellationToken cancellationToken) =>
        BookingRules.PatientOf(appointment) is { } patient
            ? await changes.Store.ReadRequiredAsync<Patient>(patient.Id, cancellationToken)
            : throw AppointmentChanges.Fail(new ValidationError("The appointment has no patient.", "appointmentId"));
}

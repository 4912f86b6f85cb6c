using Hl7.Fhir.Model;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// respondToAppointment: a participant's answer (an AppointmentResponse) and its effect, decided by
/// <see cref="RespondTransition"/> and applied here as one change. An answer that books the appointment takes its
/// time through <see cref="AppointmentTimeTaking"/>, every check of booking and the span guards included; a lost race
/// reads everything again (<see cref="ContendedRetry"/>), and time held only by expired holds is released and taken.
/// On a booked appointment, a required participant's tentative or needs-action answer (a counter-proposal included)
/// puts it back to pending, its slots busy-tentative: its time stays taken until everyone accepts again (booked),
/// someone required declines (cancelled) or it is rescheduled or cancelled; it has no hold expiry.
/// </summary>
public sealed class RespondHandler(AppointmentChanges changes, SlotReservation reservation, AppointmentTimeTaking taking)
{
    public Task<(Appointment Appointment, AppointmentResponse Response)> RespondAsync(RespondToAppointmentInput input, CancellationToken cancellationToken)
    {
        var answer = RespondTransition.Read(input);
        // Before the appointment is read: whom the caller may answer for does not depend on it.
        SchedulingAccess.Require(changes.Access.CanAnswerAs(answer.Actor), () => new ForbiddenError("A participant answers only for themselves."));
        return changes.Retry.RunAsync(() => RespondOnceAsync(input, answer, cancellationToken),
            "The appointment or its slots kept changing; read it again and retry.", cancellationToken);
    }

    private async Task<(Appointment Appointment, AppointmentResponse Response)> RespondOnceAsync(
        RespondToAppointmentInput input, Answer answer, CancellationToken cancellationToken)
    {
        var appointment = await changes.ReadToChangeAsync(input.AppointmentId, cancellationToken);
        var decision = RespondTransition.Decide(appointment, answer, changes.Now);
        var writes = new List<FhirWrite>();
        var last = new List<FhirWrite>();
        switch (decision.Time)
        {
            case TimeEffect.Take:
                var taken = await taking.TakeAsync(appointment, decision.Changed, cancellationToken);
                writes.AddRange(taken.SlotWrites);
                last.AddRange(taken.GuardWrites);
                break;
            case TimeEffect.Tentative:
                writes.AddRange(await reservation.SettleWritesAsync(await reservation.OfAsync(appointment, cancellationToken), decision.Changed, cancellationToken));
                break;
        }

        writes.Add(FhirWrite.Update(appointment, decision.Changed));
        if (decision.Time == TimeEffect.Free)
        {
            writes.AddRange(await reservation.SettleWritesAsync(await reservation.OfAsync(appointment, cancellationToken), decision.Changed, cancellationToken));
        }

        writes.Add(FhirWrite.Create(Response(appointment, answer, input)));
        writes.AddRange(last);
        var results = await changes.ApplyContendedAsync(writes, cancellationToken);
        return (results.OfType<Appointment>().First(), results.OfType<AppointmentResponse>().First());
    }

    private static AppointmentResponse Response(Appointment appointment, Answer answer, RespondToAppointmentInput input) => new()
    {
        Appointment = new ResourceReference("Appointment/" + appointment.Id),
        Actor = new ResourceReference(answer.Actor.ToString()),
        ParticipantStatus = input.ParticipantStatus,
        Comment = input.Comment,
        Start = input.Start,
        End = input.End,
    };
}

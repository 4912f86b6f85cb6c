using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// respondToAppointment: a participant's answer (an AppointmentResponse) and its effect, as FHIR R4 puts it: the
/// appointment is booked exactly while every required participant has accepted. All required accepted → booked and
/// slots busy; a required decline → cancelled and slots free; a tentative answer with a new time (a counter-proposal)
/// → everyone needs to answer again. On a booked appointment, a required participant's tentative or needs-action
/// answer (a counter-proposal included) puts it back to pending, its slots busy-tentative: its time stays taken
/// (nobody else books it) until everyone accepts again (booked), someone required declines (cancelled) or it is
/// rescheduled or cancelled; it has no hold expiry. An expired hold takes no answer, whether or not the sweeper has run.
/// </summary>
public sealed class RespondHandler(AppointmentChanges changes, SlotReservation reservation)
{
    public async Task<(Appointment Appointment, AppointmentResponse Response)> RespondAsync(RespondToAppointmentInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!FhirReference.TryParse(input.ActorId, out var actor))
        {
            throw AppointmentChanges.Fail(new ValidationError("'actorId' must be a reference such as Practitioner/123.", "actorId"));
        }

        // Before the appointment is read: whom the caller may answer for does not depend on it.
        SchedulingAccess.Require(changes.Access.CanAnswerAs(actor), () => new ForbiddenError("A participant answers only for themselves."));

        var appointment = await changes.ReadToChangeAsync(input.AppointmentId, cancellationToken);
        if (appointment.Status is not (AppointmentStatus.Proposed or AppointmentStatus.Pending or AppointmentStatus.Booked))
        {
            throw AppointmentChanges.Transition(appointment, appointment.Status ?? AppointmentStatus.Proposed,
                $"A {appointment.Status?.GetLiteral()} appointment takes no more answers.");
        }

        if (GatewayProfile.IsExpiredHold(appointment, changes.Now))
        {
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Cancelled, "The hold has expired; it takes no more answers.");
        }

        var changed = (Appointment)appointment.DeepCopy();
        var participant = changed.Participant.FirstOrDefault(p => FhirReference.From(p.Actor) == actor) ??
            throw AppointmentChanges.Fail(new ValidationError($"{actor} is not a participant of this appointment.", "actorId"));
        var counterProposal = input.ParticipantStatus == ParticipationStatus.Tentative && (input.Start is not null || input.End is not null);
        if (counterProposal && (input.Start is not { } proposedStart || input.End is not { } proposedEnd || proposedEnd <= proposedStart))
        {
            throw AppointmentChanges.Fail(new ValidationError("A counter-proposal needs both 'start' and 'end', end after start.", "end"));
        }

        var response = new AppointmentResponse
        {
            Appointment = new ResourceReference("Appointment/" + appointment.Id),
            Actor = new ResourceReference(actor.ToString()),
            ParticipantStatus = input.ParticipantStatus,
            Comment = input.Comment,
            Start = input.Start,
            End = input.End,
        };

        var slots = await reservation.OfAsync(appointment, cancellationToken);
        var writes = new List<FhirWrite>();
        participant.Status = input.ParticipantStatus;
        if (counterProposal)
        {
            foreach (var p in changed.Participant)
            {
                p.Status = ParticipationStatus.NeedsAction;
            }
        }
        else if (input.ParticipantStatus == ParticipationStatus.Declined && AppointmentChanges.IsRequired(participant))
        {
            changed.Status = AppointmentStatus.Cancelled;
            changed.CancelationReason = new CodeableConcept { Text = $"Declined by {actor}" };
            AppointmentChanges.ClearHold(changed);
            writes.Add(FhirWrite.Update(appointment, changed));
            writes.AddRange(await reservation.FreeWritesAsync(slots, appointment.Id!, cancellationToken));
        }
        else if (changed.Status != AppointmentStatus.Booked &&
                 changed.Participant.Where(AppointmentChanges.IsRequired).All(p => p.Status == ParticipationStatus.Accepted))
        {
            changed.Status = AppointmentStatus.Booked;
            AppointmentChanges.ClearHold(changed);
            writes.AddRange(slots.Where(s => s.Status != SlotStatus.Busy).Select(s => SlotReservation.Retag(s, SlotStatus.Busy)));
        }

        if (changed.Status == AppointmentStatus.Booked &&
            !changed.Participant.Where(AppointmentChanges.IsRequired).All(p => p.Status == ParticipationStatus.Accepted))
        {
            // Booked no longer: back to pending, its time still taken (tentatively) while the participants answer.
            changed.Status = AppointmentStatus.Pending;
            writes.AddRange(slots.Where(s => s.Status == SlotStatus.Busy && s.Overbooked != true).Select(s => SlotReservation.Retag(s, SlotStatus.BusyTentative)));
        }

        if (!writes.Any(w => w.Resource is Appointment))
        {
            writes.Add(FhirWrite.Update(appointment, changed));
        }

        writes.Add(FhirWrite.Create(response));
        var results = await changes.ApplyOrConflictAsync(writes, cancellationToken);
        return ((Appointment)results.First(r => r is Appointment), (AppointmentResponse)results[^1]);
    }
}

using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>A participant's answer, checked for its own shape (before any read).</summary>
public sealed record Answer(FhirReference Actor, ParticipationStatus Status, bool CounterProposal);

/// <summary>What an answer does to the appointment's time.</summary>
public enum TimeEffect
{
    /// <summary>Its slots stay as they are.</summary>
    None,

    /// <summary>Booked: the time is taken, with every check booking makes (<see cref="AppointmentTimeTaking"/>).</summary>
    Take,

    /// <summary>Cancelled: its slots are freed unless another appointment holds them.</summary>
    Free,

    /// <summary>Booked no longer: its busy slots become busy-tentative, the time still taken while everyone answers.</summary>
    Tentative,
}

/// <summary>The appointment after an answer, and what that does to its time.</summary>
public sealed record RespondDecision(Appointment Changed, TimeEffect Time);

/// <summary>
/// The state machine of respondToAppointment, pure (FHIR R4: an appointment is booked exactly while every required
/// participant has accepted). All required accepted → booked (time taken); a required decline → cancelled (time
/// freed); a counter-proposal → everyone needs to answer again; on a booked appointment a required participant's
/// tentative or needs-action answer → pending, its slots busy-tentative. An expired hold takes no answer.
/// </summary>
public static class RespondTransition
{
    /// <summary>The answer's own shape: a reference for the actor; a counter-proposal has start and end, end after start.</summary>
    public static Answer Read(RespondToAppointmentInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!FhirReference.TryParse(input.ActorId, out var actor))
        {
            throw AppointmentChanges.Fail(new ValidationError("'actorId' must be a reference such as Practitioner/123.", "actorId"));
        }

        var counterProposal = input.ParticipantStatus == ParticipationStatus.Tentative && (input.Start is not null || input.End is not null);
        if (counterProposal && (input.Start is not { } start || input.End is not { } end || end <= start))
        {
            throw AppointmentChanges.Fail(new ValidationError("A counter-proposal needs both 'start' and 'end', end after start.", "end"));
        }

        return new Answer(actor, input.ParticipantStatus, counterProposal);
    }

    /// <summary>The appointment after the answer (a copy) and its effect on the time; a typed error when it takes no answer.</summary>
    public static RespondDecision Decide(Appointment appointment, Answer answer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        ArgumentNullException.ThrowIfNull(answer);
        if (appointment.Status is not (AppointmentStatus.Proposed or AppointmentStatus.Pending or AppointmentStatus.Booked))
        {
            throw AppointmentChanges.Transition(appointment, appointment.Status ?? AppointmentStatus.Proposed,
                $"A {appointment.Status?.GetLiteral()} appointment takes no more answers.");
        }

        StandingTime.RefuseExpiredHold(appointment, now, AppointmentStatus.Cancelled);

        var changed = (Appointment)appointment.DeepCopy();
        var participant = changed.Participant.FirstOrDefault(p => FhirReference.From(p.Actor) == answer.Actor) ??
            throw AppointmentChanges.Fail(new ValidationError($"{answer.Actor} is not a participant of this appointment.", "actorId"));
        participant.Status = answer.Status;
        if (answer.CounterProposal)
        {
            changed.Participant.ForEach(p => p.Status = ParticipationStatus.NeedsAction);
        }
        else if (answer.Status == ParticipationStatus.Declined && AppointmentChanges.IsRequired(participant))
        {
            changed.Status = AppointmentStatus.Cancelled;
            changed.CancelationReason = new CodeableConcept { Text = $"Declined by {answer.Actor}" };
            AppointmentChanges.ClearHold(changed);
            return new RespondDecision(changed, TimeEffect.Free);
        }
        else if (changed.Status != AppointmentStatus.Booked && AllRequiredAccepted(changed))
        {
            changed.Status = AppointmentStatus.Booked;
            AppointmentChanges.ClearHold(changed);
            return new RespondDecision(changed, TimeEffect.Take);
        }

        if (changed.Status == AppointmentStatus.Booked && !AllRequiredAccepted(changed))
        {
            // Booked no longer: back to pending, its time still taken (tentatively) while the participants answer.
            changed.Status = AppointmentStatus.Pending;
            return new RespondDecision(changed, TimeEffect.Tentative);
        }

        return new RespondDecision(changed, TimeEffect.None);
    }

    public static bool AllRequiredAccepted(Appointment appointment) =>
        (appointment?.Participant ?? []).Where(AppointmentChanges.IsRequired).All(p => p.Status == ParticipationStatus.Accepted);
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Who takes part in an appointment on a schedule (FHIR: the Schedule's actors are whom its Slots give time to, and
/// an Appointment's participants are whose time it takes), decided here for book, hold and reschedule alike:
/// <list type="bullet">
/// <item>the patient, accepted;</item>
/// <item>the <em>answering</em> practitioner: the one named by <c>practitionerId</c>, else the schedule's first
/// practitioner. Required, typed <c>PPRF</c> (primary performer); a hold waits for their answer (needs-action), a
/// booking is accepted at once;</item>
/// <item>every other actor of the schedule that is not a patient (more practitioners, rooms, devices, healthcare
/// services): required and accepted, their schedule's free time being their consent. So busy time finds their
/// appointments on every schedule they are on, BOOKED still means every required participant accepted, and any of
/// them may still answer (a required decline cancels).</item>
/// </list>
/// Rescheduling keeps the patient and the answering practitioner (who must be an actor of the new schedule) and
/// replaces the other participants with the new schedule's actors.
/// </summary>
public static class ScheduleParticipants
{
    /// <summary>The practitioner who answers for the schedule: the one named, else its first practitioner; none on a schedule of rooms or devices.</summary>
    public static FhirReference? Answering(IReadOnlyList<FhirReference> actors, FhirReference? named)
    {
        ArgumentNullException.ThrowIfNull(actors);
        return named ?? actors.Where(a => a.ResourceType == "Practitioner").Select(a => (FhirReference?)a).FirstOrDefault();
    }

    /// <summary>The participants of a new booking (accepted) or hold (the answering practitioner needs to act).</summary>
    public static List<Appointment.ParticipantComponent> For(
        FhirReference patient, FhirReference? answering, IReadOnlyList<FhirReference> actors, bool pending)
    {
        var participants = new List<Appointment.ParticipantComponent> { Participant(patient, ParticipationStatus.Accepted) };
        if (answering is { } practitioner)
        {
            participants.Add(AnsweringParticipant(practitioner, pending));
        }

        participants.AddRange(FromSchedule(actors, participants));
        return participants;
    }

    /// <summary>
    /// The practitioners who answer for an appointment: those typed primary performer; on an appointment made
    /// before that typing (none is typed), every practitioner taking part.
    /// </summary>
    public static IReadOnlyList<FhirReference> AnsweringOf(Appointment appointment)
    {
        var practitioners = PractitionerParticipants(appointment);
        var typed = practitioners.Where(IsPrimaryPerformer).ToList();
        return [.. (typed.Count > 0 ? typed : practitioners).Select(p => FhirReference.From(p.Actor)!.Value)];
    }

    /// <summary>Every practitioner taking part in an appointment, answering or not: all must be actors of its schedule.</summary>
    public static IReadOnlyList<FhirReference> PractitionersOf(Appointment appointment) =>
        [.. PractitionerParticipants(appointment).Select(p => FhirReference.From(p.Actor)!.Value)];

    private static List<Appointment.ParticipantComponent> PractitionerParticipants(Appointment appointment)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        return [.. appointment.Participant.Where(p => FhirReference.From(p.Actor)?.ResourceType == "Practitioner")];
    }

    /// <summary>
    /// Moves an appointment's participants to a new schedule: the patients and the answering practitioners stay (with
    /// their answers), every other participant is replaced by the new schedule's other actors, accepted. An
    /// appointment without an answering practitioner (it was on a schedule of rooms) gets the new schedule's first,
    /// as a booking would: needs-action while the appointment is pending, else accepted.
    /// </summary>
    public static void MoveTo(Appointment appointment, IReadOnlyList<FhirReference> actors)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        var answering = AnsweringOf(appointment);
        appointment.Participant.RemoveAll(p => FhirReference.From(p.Actor) is { } actor && actor.ResourceType != "Patient" && !answering.Contains(actor));
        if (answering.Count == 0 && Answering(actors, null) is { } practitioner)
        {
            appointment.Participant.Add(AnsweringParticipant(practitioner, appointment.Status == Appointment.AppointmentStatus.Pending));
        }

        appointment.Participant.AddRange(FromSchedule(actors, appointment.Participant));
    }

    /// <summary>Every non-patient actor of the schedule not yet taking part, required and accepted.</summary>
    private static IEnumerable<Appointment.ParticipantComponent> FromSchedule(IReadOnlyList<FhirReference> actors, List<Appointment.ParticipantComponent> present)
    {
        ArgumentNullException.ThrowIfNull(actors);
        var taking = present.Select(p => FhirReference.From(p.Actor)).OfType<FhirReference>().ToHashSet();
        return [.. actors.Where(a => a.ResourceType != "Patient" && taking.Add(a)).Select(a => Participant(a, ParticipationStatus.Accepted))];
    }

    private static Appointment.ParticipantComponent AnsweringParticipant(FhirReference practitioner, bool pending)
    {
        var participant = Participant(practitioner, pending ? ParticipationStatus.NeedsAction : ParticipationStatus.Accepted);
        participant.Type.Add(new CodeableConcept(GatewayProfile.ParticipationTypeSystem, GatewayProfile.PrimaryPerformer, "primary performer"));
        return participant;
    }

    private static bool IsPrimaryPerformer(Appointment.ParticipantComponent participant) =>
        participant.Type.Any(t => t.Coding.Any(c => c.System == GatewayProfile.ParticipationTypeSystem && c.Code == GatewayProfile.PrimaryPerformer));

    private static Appointment.ParticipantComponent Participant(FhirReference actor, ParticipationStatus status) =>
        AppointmentChanges.Participant(actor.ToString(), status);
}

using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Who takes part in an appointment on a schedule (<see cref="ScheduleParticipants"/>) and the busy time availability
/// leaves out (<see cref="BusyTime.Spans(IEnumerable{Slot}, IEnumerable{Appointment}, IReadOnlyCollection{FhirReference}, DateTimeOffset)"/>): pure, no peer.
/// </summary>
public sealed class ScheduleParticipantsTests
{
    private static readonly FhirReference Patient = new("Patient", "pat");
    private static readonly FhirReference Surgeon = new("Practitioner", "surgeon");
    private static readonly FhirReference Nurse = new("Practitioner", "nurse");
    private static readonly FhirReference Room = new("Location", "room");
    private static readonly FhirReference Laser = new("Device", "laser");
    private static readonly FhirReference Clinic = new("HealthcareService", "clinic");
    private static readonly DateTimeOffset Nine = new(2030, 3, 4, 9, 0, 0, TimeSpan.Zero);

    private static string[] Actors(IEnumerable<Appointment.ParticipantComponent> participants) =>
        [.. participants.Select(p => p.Actor?.Reference ?? "(none)")];

    private static bool Primary(Appointment.ParticipantComponent p) =>
        p.Type.Any(t => t.Coding.Any(c => c.System == GatewayProfile.ParticipationTypeSystem && c.Code == GatewayProfile.PrimaryPerformer));

    [Fact]
    public void Every_non_patient_actor_of_the_schedule_takes_part_and_only_the_answering_practitioner_waits_on_a_hold()
    {
        FhirReference[] actors = [Surgeon, Nurse, Room, Laser, Clinic, new("Patient", "someone-else")];

        var booking = ScheduleParticipants.For(Patient, ScheduleParticipants.Answering(actors, null), actors, pending: false);
        var hold = ScheduleParticipants.For(Patient, ScheduleParticipants.Answering(actors, Nurse), actors, pending: true);

        Assert.Equal(["Patient/pat", "Practitioner/surgeon", "Practitioner/nurse", "Location/room", "Device/laser", "HealthcareService/clinic"], Actors(booking));
        Assert.All(booking, p => Assert.Equal((Appointment.ParticipantRequired.Required, ParticipationStatus.Accepted), (p.Required!.Value, p.Status!.Value)));
        Assert.Equal(["Practitioner/surgeon"], Actors(booking.Where(Primary)));

        Assert.Equal(["Patient/pat", "Practitioner/nurse", "Practitioner/surgeon", "Location/room", "Device/laser", "HealthcareService/clinic"], Actors(hold));
        Assert.Equal(["Practitioner/nurse"], Actors(hold.Where(p => p.Status == ParticipationStatus.NeedsAction)));
        Assert.Equal(["Practitioner/nurse"], Actors(hold.Where(Primary)));
    }

    [Fact]
    public void A_schedule_of_a_room_and_a_device_has_no_answering_practitioner()
    {
        FhirReference[] actors = [Room, Laser];

        var hold = ScheduleParticipants.For(Patient, ScheduleParticipants.Answering(actors, null), actors, pending: true);

        Assert.Equal(["Patient/pat", "Location/room", "Device/laser"], Actors(hold));
        Assert.DoesNotContain(hold, Primary);
    }

    [Fact]
    public void Moving_keeps_the_patient_and_the_answering_practitioner_and_takes_the_new_schedules_other_actors()
    {
        var appointment = new Appointment
        {
            Participant = ScheduleParticipants.For(Patient, Surgeon, [Surgeon, Nurse, Room, Laser], pending: true),
        };
        FhirReference[] target = [new("Location", "other-room"), Surgeon, Clinic];

        ScheduleParticipants.MoveTo(appointment, target);

        Assert.Equal(["Patient/pat", "Practitioner/surgeon", "Location/other-room", "HealthcareService/clinic"], Actors(appointment.Participant));
        Assert.Equal(ParticipationStatus.NeedsAction, appointment.Participant[1].Status);
        Assert.Equal([Surgeon], ScheduleParticipants.AnsweringOf(appointment));
    }

    [Fact]
    public void On_an_appointment_made_before_the_typing_every_practitioner_answers_and_stays()
    {
        var legacy = new Appointment
        {
            Participant =
            [
                AppointmentChanges.Participant("Patient/pat", ParticipationStatus.Accepted),
                AppointmentChanges.Participant("Practitioner/surgeon", ParticipationStatus.Accepted),
                AppointmentChanges.Participant("Location/room", ParticipationStatus.Accepted),
            ],
        };

        Assert.Equal([Surgeon], ScheduleParticipants.AnsweringOf(legacy));
        ScheduleParticipants.MoveTo(legacy, [Surgeon, Laser]);
        Assert.Equal(["Patient/pat", "Practitioner/surgeon", "Device/laser"], Actors(legacy.Participant));
    }

    /// <summary>
    /// For any schedule and any move: every non-patient actor of the schedule takes part exactly once, nobody else
    /// but the patient and the answering practitioner does, and exactly that practitioner is the primary performer.
    /// </summary>
    [Fact]
    public void Participants_are_exactly_the_patient_the_answering_practitioner_and_the_schedules_other_actors()
    {
        var actor = Gen.OneOf("Practitioner", "Location", "Device", "HealthcareService", "PractitionerRole", "Patient")
            .Select(Gen.Int[0, 3], (type, id) => new FhirReference(type, type.ToLowerInvariant() + id));
        var schedule = actor.Array[0, 6];
        Gen.Select(schedule, schedule, Gen.Bool, Gen.Bool).Sample((from, to, pending, name) =>
        {
            var practitioners = from.Where(a => a.ResourceType == "Practitioner").ToList();
            FhirReference? named = name && practitioners.Count > 0 ? practitioners[^1] : null;
            var answering = ScheduleParticipants.Answering(from, named);
            var appointment = new Appointment { Participant = ScheduleParticipants.For(Patient, answering, from, pending) };
            Check(appointment, from, answering);

            // A move is made only onto a schedule the answering practitioner is an actor of (BookingChecks refuses others).
            // One without an answering practitioner gets the new schedule's first, as a booking there would.
            FhirReference[] target = answering is { } kept ? [.. to, kept] : to;
            ScheduleParticipants.MoveTo(appointment, target);
            Check(appointment, target, answering ?? ScheduleParticipants.Answering(target, null));
        });

        static void Check(Appointment appointment, IReadOnlyList<FhirReference> actors, FhirReference? answering)
        {
            var taking = appointment.Participant.Select(p => FhirReference.From(p.Actor)!.Value).ToList();
            var expected = actors.Where(a => a.ResourceType != "Patient").Append(Patient).Concat(answering is { } a ? [a] : []).ToHashSet();
            Assert.Equal(taking.Count, taking.Distinct().Count());
            Assert.True(expected.SetEquals(taking), $"{string.Join(",", taking)} for {string.Join(",", actors)}");
            Assert.Equal(answering is { } one ? [one] : [], ScheduleParticipants.AnsweringOf(appointment));
            Assert.All(appointment.Participant.Where(p => !Primary(p)), p => Assert.Equal(ParticipationStatus.Accepted, p.Status));
        }
    }

    [Fact]
    public void Busy_time_of_a_schedule_counts_standing_appointments_of_any_of_its_actors_on_any_schedule()
    {
        Appointment On(FhirReference actor, Appointment.AppointmentStatus status, int from, int to) => new()
        {
            Status = status,
            Start = Nine.AddMinutes(from),
            End = Nine.AddMinutes(to),
            Participant = [AppointmentChanges.Participant("Patient/x", ParticipationStatus.Accepted), AppointmentChanges.Participant(actor.ToString(), ParticipationStatus.Accepted)],
        };
        var expiredHold = On(Laser, Appointment.AppointmentStatus.Pending, 60, 90);
        expiredHold.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(Nine.AddMinutes(-5))));
        var busySlot = new Slot { Status = Slot.SlotStatus.Busy, Start = Nine.AddMinutes(120), End = Nine.AddMinutes(150) };
        Appointment[] appointments =
        [
            On(Laser, Appointment.AppointmentStatus.Booked, 0, 30),
            On(Nurse, Appointment.AppointmentStatus.Pending, 30, 60),
            expiredHold,
            On(Laser, Appointment.AppointmentStatus.Cancelled, 90, 120),
            On(Clinic, Appointment.AppointmentStatus.Booked, 150, 180),
        ];

        var busy = BusyTime.Spans([busySlot], appointments, [Surgeon, Nurse, Laser], Nine.AddMinutes(-1));

        Assert.Equal([(0, 30), (30, 60), (120, 150)], busy.Select(b => ((int)(b.Start - Nine).TotalMinutes, (int)(b.End - Nine).TotalMinutes)).Order());
        var free = new Slot { Id = "f", Status = Slot.SlotStatus.Free, Start = Nine.AddMinutes(15), End = Nine.AddMinutes(45) };
        Assert.Empty(BusyTime.OfferableFree([free], busy));
    }
}

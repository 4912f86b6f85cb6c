using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Queries;

/// <summary>
/// A schedule with <c>slotCount</c> slots, each booked by an appointment of one of ten patients with two of three
/// practitioners: the shape of a busy practitioner's month, written to a FHIR server through <see cref="IFhirStore"/>.
/// With <c>groupClasses</c>, every fourth appointment is a group class: a second patient (the first's fifth neighbour)
/// and two rooms (locations) take part too.
/// </summary>
public sealed record MedplumPracticeSeed(Schedule Schedule, IReadOnlyList<Slot> Slots, IReadOnlyList<Appointment> Appointments, IReadOnlyList<Patient> Patients)
{
    /// <summary>Whether appointment <paramref name="i"/> (of slot i) is a group class, when the seed has them.</summary>
    public static bool IsGroupClass(int i) => i % 4 == 3;

    public static async Task<MedplumPracticeSeed> CreateAsync(IFhirStore store, int slotCount, string family = "Seed", bool groupClasses = false)
    {
        var none = CancellationToken.None;
        var practitioners = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            store.CreateAsync(new Practitioner { Name = [new HumanName { Prefix = ["Dr."], Given = ["P" + i], Family = "Seed" }] }, none)));
        var patients = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Patient" + i], Family = family }] }, none)));
        var rooms = groupClasses
            ? await Task.WhenAll(Enumerable.Range(0, 2).Select(i => store.CreateAsync(new Location { Name = $"Room {i} {family}" }, none)))
            : [];
        var schedule = await store.CreateAsync(new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/" + practitioners[0].Id)] }, none);

        var start = new DateTimeOffset(2031, 1, 6, 9, 0, 0, TimeSpan.Zero);
        var slots = new List<Slot>();
        var appointments = new List<Appointment>();
        foreach (var batch in Enumerable.Range(0, slotCount).Chunk(20))
        {
            var created = await Task.WhenAll(batch.Select(i => store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + schedule.Id),
                Status = Slot.SlotStatus.Busy,
                Start = start.AddMinutes(30 * i),
                End = start.AddMinutes(30 * (i + 1)),
            }, none)));
            slots.AddRange(created);
            appointments.AddRange(await Task.WhenAll(created.Select((slot, j) => store.CreateAsync(new Appointment
            {
                Status = Appointment.AppointmentStatus.Booked,
                Start = slot.Start,
                End = slot.End,
                Slot = [new ResourceReference("Slot/" + slot.Id)],
                Participant =
                [
                    new() { Actor = new ResourceReference("Patient/" + patients[(batch[j]) % 10].Id), Status = ParticipationStatus.Accepted },
                    new() { Actor = new ResourceReference("Practitioner/" + practitioners[batch[j] % 3].Id), Status = ParticipationStatus.Accepted },
                    new() { Actor = new ResourceReference("Practitioner/" + practitioners[(batch[j] + 1) % 3].Id), Status = ParticipationStatus.Accepted },
                    .. rooms.Length > 0 && IsGroupClass(batch[j]) ? GroupParticipants(patients[(batch[j] + 5) % 10], rooms) : [],
                ],
            }, none))));
        }

        return new MedplumPracticeSeed(schedule, slots, appointments, patients);
    }

    /// <summary>Whether <paramref name="patient"/> takes part in <paramref name="appointment"/>.</summary>
    public static bool Involves(Appointment appointment, Patient patient) =>
        appointment.Participant.Any(p => p.Actor?.Reference == "Patient/" + patient.Id);

    private static Appointment.ParticipantComponent[] GroupParticipants(Patient second, Location[] rooms) =>
    [
        new() { Actor = new ResourceReference("Patient/" + second.Id), Status = ParticipationStatus.Accepted },
        .. rooms.Select(room => new Appointment.ParticipantComponent { Actor = new ResourceReference("Location/" + room.Id), Status = ParticipationStatus.Accepted }),
    ];
}

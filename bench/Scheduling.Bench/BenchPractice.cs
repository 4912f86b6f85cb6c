using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Bench;

/// <summary>The benchmark's practice, written through IFhirStore so both stores hold the same shape of data.</summary>
internal sealed record Practice(string PractitionerId, string PatientId)
{
    public static async Task<Practice> SeedAsync(IFhirStore store)
    {
        var none = CancellationToken.None;
        var doctor = await store.CreateAsync(new Practitioner { Name = [new HumanName { Prefix = ["Dr."], Given = ["Bench"], Family = "Mark" }] }, none);
        var room = await store.CreateAsync(new Location { Name = "Room 1" }, none);
        var patients = new List<Patient>();
        for (var i = 0; i < 20; i++)
        {
            patients.Add(await store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Patient" + i], Family = "Bench" }] }, none));
        }

        var schedule = await store.CreateAsync(new Schedule { Active = true, Actor = [new("Practitioner/" + doctor.Id), new("Location/" + room.Id)] }, none);
        var booked = 0;
        for (var day = 0; day < 5; day++)
        {
            for (var n = 0; n < 16; n++)
            {
                var start = QueryBenchmark.Monday.AddDays(day).AddHours(9).AddMinutes(30 * n);
                var slot = await store.CreateAsync(new Slot
                {
                    Schedule = new ResourceReference("Schedule/" + schedule.Id),
                    Status = n % 2 == 0 ? Slot.SlotStatus.Busy : Slot.SlotStatus.Free,
                    Start = start,
                    End = start.AddMinutes(30),
                }, none);
                if (n % 2 != 0)
                {
                    continue;
                }

                // Patient 0 is "the patient": 8 of the 40 appointments are theirs.
                var patient = patients[booked % 5 == 0 ? 0 : 1 + (booked % 19)];
                booked++;
                await store.CreateAsync(new Appointment
                {
                    Status = Appointment.AppointmentStatus.Booked,
                    Start = start,
                    End = start.AddMinutes(30),
                    Slot = [new ResourceReference("Slot/" + slot.Id)],
                    Participant =
                    [
                        new() { Actor = new ResourceReference("Patient/" + patient.Id), Status = ParticipationStatus.Accepted },
                        new() { Actor = new ResourceReference("Practitioner/" + doctor.Id), Status = ParticipationStatus.Accepted },
                        new() { Actor = new ResourceReference("Location/" + room.Id), Status = ParticipationStatus.Accepted },
                    ],
                }, none);
            }
        }

        return new Practice(doctor.Id!, patients[0].Id!);
    }
}

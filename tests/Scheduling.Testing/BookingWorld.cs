using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>
/// What one booking test needs, made fresh in FHIR: a practitioner at a location with a schedule of 30-minute
/// slots on one future day, and two patients. Nothing is shared between tests.
/// </summary>
public sealed record BookingWorld(
    Practitioner Practitioner,
    Location Location,
    Schedule Schedule,
    IReadOnlyList<Slot> Slots,
    Patient Patient,
    Patient OtherPatient)
{
    /// <param name="firstStart">When the first slot starts; default 14:00 UTC <paramref name="daysAhead"/> days from today.</param>
    public static async Task<BookingWorld> CreateAsync(
        IFhirStore store, int slots = 6, int daysAhead = 3, Action<Schedule>? schedule = null, DateTimeOffset? firstStart = null)
    {
        var none = CancellationToken.None;
        var tag = Guid.NewGuid().ToString("N")[..6];
        var practitioner = await store.CreateAsync(new Practitioner { Name = [new HumanName { Prefix = ["Dr."], Given = ["Test"], Family = "Booker" + tag }] }, none);
        var location = await store.CreateAsync(new Location { Name = "Room " + tag }, none);
        var patient = await store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Pat"], Family = "One" + tag }] }, none);
        var other = await store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Pat"], Family = "Two" + tag }] }, none);
        var newSchedule = new Schedule
        {
            Active = true,
            Actor = [new ResourceReference("Practitioner/" + practitioner.Id), new ResourceReference("Location/" + location.Id)],
            ServiceType = [new CodeableConcept("http://example.org/fhir/CodeSystem/service-type", "checkup", "Check-up", "Check-up")],
        };
        schedule?.Invoke(newSchedule);
        var created = await store.CreateAsync(newSchedule, none);

        var day = DateTimeOffset.UtcNow.Date.AddDays(daysAhead);
        var start = firstStart ?? new DateTimeOffset(day.Year, day.Month, day.Day, 14, 0, 0, TimeSpan.Zero);
        var made = new List<Slot>();
        for (var i = 0; i < slots; i++)
        {
            made.Add(await store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + created.Id),
                Status = Slot.SlotStatus.Free,
                Start = start.AddMinutes(30 * i),
                End = start.AddMinutes(30 * (i + 1)),
                ServiceType = [.. created.ServiceType],
            }, none));
        }

        return new BookingWorld(practitioner, location, created, made, patient, other);
    }

    public string SlotId(int index) => Slots[index].Id!;
}

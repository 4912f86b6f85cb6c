using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;

namespace Scheduling.Tests.Planning;

/// <summary>
/// A small practice on an embedded store where every navigation of the planner has something to find and where
/// following references round and round reaches more than a level-by-level walk: two schedules of two practitioners,
/// an appointment over two slots, an appointment over slots of both schedules, two appointments on one slot, a
/// patient on both schedules and a group appointment of two patients. Every navigation has an owner with two items
/// (<see cref="NavigationAnswersTests"/> tells "answers all" from "answers one" by them): a third, empty schedule s2 of
/// p1 and l0, an appointment in two locations. Ids are fixed; starts are distinct (no sort ties).
/// </summary>
public static class PlannerWorld
{
    public static readonly string[] Schedules = ["s0", "s1", "s2"];

    public static readonly string[] Patients = ["pa0", "pa1", "pa2"];

    public static readonly string[] Practitioners = ["p0", "p1"];

    public static async Task<InMemoryFhirStore> CreateAsync()
    {
        var store = new InMemoryFhirStore();
        var start = new DateTimeOffset(2031, 3, 3, 9, 0, 0, TimeSpan.Zero);
        var resources = new List<Resource>
        {
            new Practitioner { Id = "p0", Name = [new HumanName { Given = ["Ada"], Family = "Zero" }] },
            new Practitioner { Id = "p1", Name = [new HumanName { Given = ["Bo"], Family = "One" }] },
            new Location { Id = "l0", Name = "Room 0" },
            new Location { Id = "l1", Name = "Room 1" },
            new Patient { Id = "pa0", Name = [new HumanName { Given = ["Cy"], Family = "Pat" }] },
            new Patient { Id = "pa1", Name = [new HumanName { Given = ["Di"], Family = "Pat" }] },
            new Patient { Id = "pa2", Name = [new HumanName { Given = ["Ed"], Family = "Pat" }] },
            new Schedule { Id = "s0", Active = true, Actor = [new ResourceReference("Practitioner/p0"), new ResourceReference("Location/l0")] },
            new Schedule { Id = "s1", Active = true, Actor = [new ResourceReference("Practitioner/p1")] },
            new Schedule { Id = "s2", Active = true, Actor = [new ResourceReference("Practitioner/p1"), new ResourceReference("Location/l0")] },
        };
        for (var i = 0; i < 4; i++)
        {
            resources.Add(SlotOf("s0", i, start.AddMinutes(30 * i)));
        }

        for (var i = 0; i < 3; i++)
        {
            resources.Add(SlotOf("s1", i, start.AddDays(1).AddMinutes(30 * i)));
        }

        resources.AddRange(
        [
            AppointmentOf("a0", start, ["s0-0", "s0-1"], ["pa0"], ["p0"], locations: ["l0", "l1"]),
            AppointmentOf("a1", start.AddMinutes(31), ["s0-1"], ["pa1"], ["p0"]),
            AppointmentOf("a2", start.AddDays(1), ["s1-0"], ["pa0"], ["p1"]),
            AppointmentOf("a3", start.AddDays(1).AddMinutes(30), ["s1-1"], ["pa2"], ["p1", "p0"]),
            AppointmentOf("a4", start.AddMinutes(60), ["s0-2"], ["pa1"], ["p0"], status: Appointment.AppointmentStatus.Cancelled),
            AppointmentOf("a5", start.AddMinutes(90), ["s0-3", "s1-2"], ["pa1"], ["p0", "p1"]),
            AppointmentOf("a6", start.AddDays(1).AddMinutes(61), ["s1-2"], ["pa2"], ["p1"]),
            AppointmentOf("a7", start.AddDays(1).AddMinutes(62), ["s1-0"], ["pa0", "pa2"], ["p1"]),
        ]);
        foreach (var resource in resources)
        {
            await store.CreateAsync(resource, CancellationToken.None);
        }

        return store;
    }

    private static Slot SlotOf(string schedule, int i, DateTimeOffset start) => new()
    {
        Id = $"{schedule}-{i}",
        Schedule = new ResourceReference("Schedule/" + schedule),
        Status = Slot.SlotStatus.Busy,
        Start = start,
        End = start.AddMinutes(30),
    };

    private static Appointment AppointmentOf(
        string id, DateTimeOffset start, string[] slots, string[] patients, string[] practitioners, string[]? locations = null,
        Appointment.AppointmentStatus status = Appointment.AppointmentStatus.Booked) => new()
    {
        Id = id,
        Status = status,
        Start = start,
        End = start.AddMinutes(30),
        Slot = [.. slots.Select(s => new ResourceReference("Slot/" + s))],
        Participant =
        [
            .. patients.Select(p => new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + p), Status = ParticipationStatus.Accepted }),
            .. practitioners.Select(p => new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/" + p), Status = ParticipationStatus.Accepted }),
            .. (locations ?? []).Select(l => new Appointment.ParticipantComponent { Actor = new ResourceReference("Location/" + l), Status = ParticipationStatus.Accepted }),
        ],
    };

    /// <summary>Every resource a set of searches brought, as <c>Type/id</c>.</summary>
    public static HashSet<FhirReference> Brought(IEnumerable<RecordedSearch> searches) => [.. searches.SelectMany(s => s.Brought)];
}

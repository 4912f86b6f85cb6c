using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;

namespace Scheduling.Tests.Model;

/// <summary>
/// A fresh world per run: one practitioner with two schedules over the same hours of one future day: a slot
/// schedule (practitioner and room, eight 30-minute Slots from 14:00 UTC) and a rule schedule (practitioner only,
/// a recurring 14:00–18:00 UTC rule, 30-minute options), so both kinds of booking compete for one person's time;
/// three patients; and a practitioner who is on neither schedule, with a slot schedule of their own (four 30-minute
/// Slots from 14:00 UTC) to be moved onto wrongly.
/// </summary>
public sealed record ModelWorld(
    Practitioner Practitioner,
    Practitioner Stranger,
    Location Location,
    Schedule SlotSchedule,
    Schedule RuleSchedule,
    IReadOnlyList<Slot> Slots,
    IReadOnlyList<Patient> Patients,
    DateOnly Day)
{
    public Schedule StrangerSchedule { get; init; } = new();

    public IReadOnlyList<Slot> StrangerSlots { get; init; } = [];

    public const int SlotCount = 8;

    /// <summary>Where the rule schedule's planning horizon ends, after 14:00 UTC of the day.</summary>
    public static readonly TimeSpan HorizonAfterStart = TimeSpan.FromHours(3);

    public DateTimeOffset DayStart => new(Day.ToDateTime(new TimeOnly(14, 0)), TimeSpan.Zero);

    public static async Task<ModelWorld> CreateAsync(IFhirStore store, int daysAhead = 3)
    {
        var none = CancellationToken.None;
        var tag = Guid.NewGuid().ToString("N")[..6];
        var practitioner = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Model" + tag }] }, none);
        var stranger = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Stranger" + tag }] }, none);
        var location = await store.CreateAsync(new Location { Name = "Model room " + tag }, none);
        var patients = new List<Patient>();
        for (var i = 0; i < 3; i++)
        {
            patients.Add(await store.CreateAsync(new Patient { Name = [new HumanName { Family = $"Model{i}{tag}" }] }, none));
        }

        var slotSchedule = await store.CreateAsync(new Schedule
        {
            Active = true,
            Actor = [new ResourceReference("Practitioner/" + practitioner.Id), new ResourceReference("Location/" + location.Id)],
        }, none);
        var day = DateOnly.FromDateTime(DateTime.UtcNow.Date.AddDays(daysAhead));
        var start = new DateTimeOffset(day.ToDateTime(new TimeOnly(14, 0)), TimeSpan.Zero);
        // The rule schedule's planning horizon ends at 17:00: its later options (up to 17:45) are outside it.
        var ruleSchedule = new Schedule
        {
            Active = true,
            Actor = [new ResourceReference("Practitioner/" + practitioner.Id)],
            PlanningHorizon = new Period(new FhirDateTime(start.AddDays(-daysAhead - 1)), new FhirDateTime(start.Add(HorizonAfterStart))),
        };
        new AvailabilityRule("UTC", [new AvailableTime(Enum.GetValues<DayOfWeek>(), new TimeOnly(14, 0), new TimeOnly(18, 0))], [], 30, 0, 0, 15)
            .WriteTo(ruleSchedule);
        ruleSchedule = await store.CreateAsync(ruleSchedule, none);

        var slots = new List<Slot>();
        for (var i = 0; i < SlotCount; i++)
        {
            slots.Add(await store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + slotSchedule.Id),
                Status = Slot.SlotStatus.Free,
                Start = start.AddMinutes(30 * i),
                End = start.AddMinutes(30 * (i + 1)),
            }, none));
        }

        var strangerSchedule = await store.CreateAsync(new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/" + stranger.Id)] }, none);
        var strangerSlots = new List<Slot>();
        for (var i = 0; i < 4; i++)
        {
            strangerSlots.Add(await store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + strangerSchedule.Id),
                Status = Slot.SlotStatus.Free,
                Start = start.AddMinutes(30 * i),
                End = start.AddMinutes(30 * (i + 1)),
            }, none));
        }

        return new ModelWorld(practitioner, stranger, location, slotSchedule, ruleSchedule, slots, patients, day)
        {
            StrangerSchedule = strangerSchedule,
            StrangerSlots = strangerSlots,
        };
    }

    public string[] SlotRun(int first, int count)
    {
        first %= SlotCount;
        return [.. Slots.Skip(first).Take(Math.Max(1, Math.Min(count, SlotCount - first))).Select(s => s.Id!)];
    }

    public (DateTimeOffset Start, DateTimeOffset End) SlotSpan(int first, int count)
    {
        var run = SlotRun(first, count);
        return (Slots.First(s => s.Id == run[0]).Start!.Value, Slots.First(s => s.Id == run[^1]).End!.Value);
    }

    public string[] StrangerSlotRun(int first) => [StrangerSlots[first % StrangerSlots.Count].Id!];

    public string RuleOptionAt(DateTimeOffset start, int minutes) => OperationRunner.RuleOptionId(RuleSchedule.Id!, start, start.AddMinutes(minutes));

    public string RuleOption(int quarter, int minutes)
    {
        var start = DayStart.AddMinutes(15 * (quarter % 12));
        return OperationRunner.RuleOptionId(RuleSchedule.Id!, start, start.AddMinutes(minutes));
    }
}

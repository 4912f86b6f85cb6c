using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;

namespace Scheduling.Tests.Model;

/// <summary>
/// A fresh world per run: one practitioner with two schedules over the same hours of one future day: a slot
/// schedule (practitioner and room, eight 30-minute Slots from 14:00 UTC) and a rule schedule (practitioner and a device,
/// a recurring 14:00–18:00 UTC rule, 30-minute options), so both kinds of booking compete for one person's time;
/// three patients; and a practitioner who is on neither schedule, with a slot schedule of their own (four 30-minute
/// Slots from 14:00 UTC) to be moved onto wrongly; a colleague whose schedule shares the room with the slot
/// schedule and, with an assistant, a device the rule schedule has too (four 30-minute Slots from 14:00 UTC), so one
/// actor's time is taken across two schedules whatever its kind; and an
/// inactive schedule of the practitioner (two 30-minute Slots from 14:00 UTC) on which every booking is refused.
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

    /// <summary>The colleague's schedule: the colleague, an assistant, the slot schedule's room and the rule schedule's device.</summary>
    public Schedule SharedSchedule { get; init; } = new();

    public IReadOnlyList<Slot> SharedSlots { get; init; } = [];

    /// <summary>
    /// The practitioner's group schedule (the practitioner and a group room): two 30-minute Slots from 14:00 UTC with
    /// <see cref="GroupCapacity"/> seats each, over the same hours as the practitioner's other schedules, so a seat
    /// competes with every other booking of the practitioner's time and only seats of one slot may overlap.
    /// </summary>
    public Schedule GroupSchedule { get; init; } = new();

    public IReadOnlyList<Slot> GroupSlots { get; init; } = [];

    public const int GroupCapacity = 2;

    /// <summary>The seats of a slot of the world (capacity, 1 unless it is a group slot).</summary>
    public int CapacityOf(string slotId) => GroupSlots.Any(s => s.Id == slotId) ? GroupCapacity : 1;

    public string[] GroupSlotRun(int first) => [GroupSlots[first % GroupSlots.Count].Id!];

    /// <summary>The practitioner's schedule that is not active.</summary>
    public Schedule InactiveSchedule { get; init; } = new();

    public IReadOnlyList<Slot> InactiveSlots { get; init; } = [];

    /// <summary>
    /// The practitioner's series schedule (the practitioner alone; a recurring 14:00–18:00 UTC rule every day, no
    /// planning horizon, its rule's zone UTC): bookSeries books weekly on it from the world's day on, so a series'
    /// first week competes with every other booking of the practitioner's day, and its later weeks with other series.
    /// </summary>
    public Schedule SeriesSchedule { get; init; } = new();

    /// <summary>A series' comment, which says its mode: the FHIR-side whole-or-absent check (S1) reads it from the template.</summary>
    public const string AllOrNothingComment = "model series all-or-nothing";

    public const string AvailableOnlyComment = "model series available-only";

    /// <summary>The slot schedule's time zone: UTC+1 all year (no daylight saving, so the model's hours stay simple).</summary>
    public const string SlotScheduleZone = "Etc/GMT-1";

    /// <summary>Every schedule of the world.</summary>
    public IEnumerable<Schedule> Schedules => [SlotSchedule, RuleSchedule, StrangerSchedule, SharedSchedule, InactiveSchedule, GroupSchedule, SeriesSchedule];

    public const int SlotCount = 8;

    /// <summary>Where the rule schedule's planning horizon ends, after 14:00 UTC of the day.</summary>
    public static readonly TimeSpan HorizonAfterStart = TimeSpan.FromHours(3);

    public DateTimeOffset DayStart => new(Day.ToDateTime(new TimeOnly(14, 0)), TimeSpan.Zero);

    /// <summary>
    /// Whether the practitioner's caps are set (<see cref="Focus.Caps"/>): a day cap of <see cref="Cap"/> on the slot
    /// schedule (UTC+1) and on the series schedule (UTC), a week cap of <see cref="Cap"/> on the rule schedule (UTC);
    /// the group schedule has none. So one practitioner's bookings race across schedules with caps of either kind, in
    /// two time zones, and with a schedule without caps.
    /// </summary>
    public bool Capped { get; init; }

    /// <summary>The caps' limit when <see cref="Capped"/>: small enough for the day's bookings to race for its last place.</summary>
    public const int Cap = 1;

    /// <summary>The schedules whose bookings are judged by a practitioner cap when <see cref="Capped"/>.</summary>
    public IEnumerable<Schedule> CappedSchedules => Capped ? [SlotSchedule, RuleSchedule, SeriesSchedule] : [];

    public static async Task<ModelWorld> CreateAsync(IFhirStore store, int daysAhead = 3, bool capped = false)
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

        // The slot schedule keeps its time in UTC+1 (HL7's timezone extension, valueCode): createSlots without a
        // zone must generate in it (T8).
        var slotSchedule = await store.CreateAsync(new Schedule
        {
            Active = true,
            Actor = [new ResourceReference("Practitioner/" + practitioner.Id), new ResourceReference("Location/" + location.Id)],
            Extension = [new Extension(GatewayProfile.TimeZoneExtension, new Code(SlotScheduleZone)), .. CapOf(capped, day: true)],
        }, none);
        var day = DateOnly.FromDateTime(DateTime.UtcNow.Date.AddDays(daysAhead));
        var start = new DateTimeOffset(day.ToDateTime(new TimeOnly(14, 0)), TimeSpan.Zero);
        // The rule schedule's planning horizon ends at 17:00: its later options (up to 17:45) are outside it.
        var device = await store.CreateAsync(new Device { DeviceName = [new Device.DeviceNameComponent { Name = "Model laser " + tag, Type = DeviceNameType.UserFriendlyName }] }, none);
        var ruleSchedule = new Schedule
        {
            Active = true,
            Actor = [new ResourceReference("Practitioner/" + practitioner.Id), new ResourceReference("Device/" + device.Id)],
            PlanningHorizon = new Period(new FhirDateTime(start.AddDays(-daysAhead - 1)), new FhirDateTime(start.Add(HorizonAfterStart))),
        };
        ruleSchedule.Extension.AddRange(CapOf(capped, day: false));
        new AvailabilityRule("UTC", [new AvailableTime(Enum.GetValues<DayOfWeek>(), new TimeOnly(14, 0), new TimeOnly(18, 0))], [], 30, 0, 0, 15)
            .WriteTo(ruleSchedule);
        ruleSchedule = await store.CreateAsync(ruleSchedule, none);

        var slots = await SlotsAsync(store, slotSchedule, start, SlotCount);
        var strangerSchedule = await store.CreateAsync(new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/" + stranger.Id)] }, none);
        var colleague = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Colleague" + tag }] }, none);
        var assistant = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Assistant" + tag }] }, none);
        var sharedSchedule = await store.CreateAsync(new Schedule
        {
            Active = true,
            Actor =
            [
                new ResourceReference("Practitioner/" + colleague.Id), new ResourceReference("Practitioner/" + assistant.Id),
                new ResourceReference("Location/" + location.Id), new ResourceReference("Device/" + device.Id),
            ],
        }, none);
        var inactiveSchedule = await store.CreateAsync(new Schedule { Active = false, Actor = [new ResourceReference("Practitioner/" + practitioner.Id)] }, none);
        var groupRoom = await store.CreateAsync(new Location { Name = "Model group room " + tag }, none);
        var groupSchedule = await store.CreateAsync(new Schedule
        {
            Active = true,
            Actor = [new ResourceReference("Practitioner/" + practitioner.Id), new ResourceReference("Location/" + groupRoom.Id)],
        }, none);

        var seriesSchedule = new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/" + practitioner.Id)], Extension = CapOf(capped, day: true) };
        new AvailabilityRule("UTC", [new AvailableTime(Enum.GetValues<DayOfWeek>(), new TimeOnly(14, 0), new TimeOnly(18, 0))], [], 30, 0, 0, 15)
            .WriteTo(seriesSchedule);
        seriesSchedule = await store.CreateAsync(seriesSchedule, none);

        return new ModelWorld(practitioner, stranger, location, slotSchedule, ruleSchedule, slots, patients, day)
        {
            Capped = capped,
            SeriesSchedule = seriesSchedule,
            StrangerSchedule = strangerSchedule,
            StrangerSlots = await SlotsAsync(store, strangerSchedule, start, 4),
            SharedSchedule = sharedSchedule,
            SharedSlots = await SlotsAsync(store, sharedSchedule, start, 4),
            InactiveSchedule = inactiveSchedule,
            InactiveSlots = await SlotsAsync(store, inactiveSchedule, start, 2),
            GroupSchedule = groupSchedule,
            GroupSlots = await SlotsAsync(store, groupSchedule, start, 2, GroupCapacity),
        };
    }

    /// <summary>The booking limits a capped world's schedule carries (<see cref="ScheduleLimits"/>): a day or a week cap of <see cref="Cap"/>.</summary>
    private static List<Extension> CapOf(bool capped, bool day)
    {
        if (!capped)
        {
            return [];
        }

        var holder = new Schedule();
        new ScheduleLimits(null, null, day ? Cap : null, day ? null : Cap).WriteTo(holder);
        return [.. holder.Extension];
    }

    /// <summary>Free 30-minute Slots one after another from the start.</summary>
    private static async Task<List<Slot>> SlotsAsync(IFhirStore store, Schedule schedule, DateTimeOffset start, int count, int capacity = 1)
    {
        var slots = new List<Slot>();
        for (var i = 0; i < count; i++)
        {
            slots.Add(await store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + schedule.Id),
                Status = Slot.SlotStatus.Free,
                Start = start.AddMinutes(30 * i),
                End = start.AddMinutes(30 * (i + 1)),
                Extension = capacity > 1 ? [new Extension(GatewayProfile.CapacityExtension, new PositiveInt(capacity))] : [],
            }, CancellationToken.None));
        }

        return slots;
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

    /// <summary>One or two of the colleague's slots (sharing the room), from the given one.</summary>
    public string[] SharedSlotRun(int first, int count)
    {
        first %= SharedSlots.Count;
        return [.. SharedSlots.Skip(first).Take(Math.Max(1, Math.Min(count, SharedSlots.Count - first))).Select(s => s.Id!)];
    }

    public string[] InactiveSlotRun(int first) => [InactiveSlots[first % InactiveSlots.Count].Id!];

    /// <summary>The stranger's slot and the colleague's slot at the same time: one booking on two schedules (several resources at once).</summary>
    public string[] MultiSlotRun(int first) => [StrangerSlots[first % StrangerSlots.Count].Id!, SharedSlots[first % SharedSlots.Count].Id!];

    public string RuleOptionAt(DateTimeOffset start, int minutes) => OperationRunner.RuleOptionId(RuleSchedule.Id!, start, start.AddMinutes(minutes));

    public string RuleOption(int quarter, int minutes)
    {
        var start = DayStart.AddMinutes(15 * (quarter % 12));
        return OperationRunner.RuleOptionId(RuleSchedule.Id!, start, start.AddMinutes(minutes));
    }
}

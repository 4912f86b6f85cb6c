using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>Finding availability (free slots and recurring rules) and managing it, on both stores.</summary>
public abstract class AvailabilityTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string Availability = """
        query($input: AvailabilityInput!) {
          availability(input: $input) { totalCount nodes { start end durationMinutes slotIds source schedule { fhirId } actors { __typename } } }
        }
        """;

    private static CancellationToken None => CancellationToken.None;

    [Fact]
    public async Task Free_slots_are_offered_in_order_and_longer_durations_combine_contiguous_slots()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var window = new { scheduleIds = new[] { world.Schedule.Id }, start = Iso(world.Slots[0].Start!.Value.AddHours(-1)), end = Iso(world.Slots[^1].End!.Value.AddHours(1)) };

        var single = await FindAsync(window);
        Assert.Equal(world.Slots.Select(s => GlobalSlot(s.Id!)), single.Select(o => Str(o, "slotIds.0")));
        Assert.All(single, o => Assert.Equal("SLOT", Str(o, "source")));
        Assert.Contains(single[0]["actors"]!.AsArray(), a => Str(a, "__typename") == "Practitioner");

        await BookAsync(world.SlotId(2), world.Patient.Id!);
        var hour = await FindAsync(new { window.scheduleIds, window.start, window.end, durationMinutes = 60 });
        Assert.Equal(
            [[GlobalSlot(world.SlotId(0)), GlobalSlot(world.SlotId(1))], [GlobalSlot(world.SlotId(3)), GlobalSlot(world.SlotId(4))], [GlobalSlot(world.SlotId(4)), GlobalSlot(world.SlotId(5))]],
            hour.Select(o => o["slotIds"]!.AsArray().Select(id => id!.GetValue<string>()).ToArray()));
        Assert.All(hour, o => Assert.Equal(60, o["durationMinutes"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Nothing_is_offered_outside_the_planning_horizon_or_in_the_past()
    {
        var now = DateTimeOffset.UtcNow;
        var firstStart = now.AddHours(-2).AddTicks(-(now.Ticks % TimeSpan.TicksPerMinute));
        var world = await BookingWorld.CreateAsync(Store, slots: 12, firstStart: firstStart, schedule: s =>
            s.PlanningHorizon = new Period(new FhirDateTime(firstStart.AddDays(-1)), new FhirDateTime(firstStart.AddHours(5))));

        var offered = await FindAsync(new { scheduleIds = new[] { world.Schedule.Id }, start = Iso(firstStart.AddDays(-1)), end = Iso(firstStart.AddDays(1)) });

        var starts = offered.Select(o => DateTimeOffset.Parse(Str(o, "start"), CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(starts);
        Assert.All(starts, s => Assert.True(s >= now.AddSeconds(-5), $"{s} is in the past"));
        Assert.All(offered, o => Assert.True(DateTimeOffset.Parse(Str(o, "end"), CultureInfo.InvariantCulture) <= firstStart.AddHours(5)));
        // Half-hours from 2 h ago: the first five have started; the horizon (3 h from now) ends the offer after five more.
        Assert.Equal(5, offered.Count);
    }

    [Fact]
    public async Task A_recurring_rule_offers_times_in_the_actors_time_zone_across_a_daylight_saving_change()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var schedule = await MutateAsync("createSchedule", "CreateScheduleInput", new
        {
            actorIds = new[] { "Practitioner/" + world.Practitioner.Id, "Location/" + world.Location.Id },
            serviceTypes = new[] { "physiotherapy" },
            timeZone = "America/New_York",
            comment = "Rule-based",
        }, "schedule { fhirId actors { __typename } serviceType { text } }");
        var scheduleId = Str(schedule, "schedule.fhirId");

        var set = await MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId,
            timeZone = "America/New_York",
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" }, startTime = "09:00", endTime = "11:00" } },
            notAvailable = new[] { new { start = "2027-03-16T00:00:00-04:00", end = "2027-03-17T00:00:00-04:00", description = "Training day" } },
            slotMinutes = 60,
        }, "schedule { fhirId }");
        Assert.Empty(set["errors"]!.AsArray());

        // Friday 12 March 2027 is EST (-05:00); Sunday the 14th the clocks go forward; Monday the 15th is EDT (-04:00).
        var window = new { scheduleIds = new[] { scheduleId }, start = "2027-03-12T00:00:00-05:00", end = "2027-03-17T00:00:00-04:00" };
        var offered = await FindAsync(window);
        Assert.Equal(
            ["2027-03-12T09:00:00-05:00", "2027-03-12T10:00:00-05:00", "2027-03-15T09:00:00-04:00", "2027-03-15T10:00:00-04:00"],
            offered.Select(o => Str(o, "start")));
        Assert.All(offered, o => Assert.Equal("RULE", Str(o, "source")));

        // Booking a computed time creates its slot, busy; the time is then gone, and cannot be taken twice.
        var monday = Str(offered[2], "slotIds.0");
        var booked = await BookAsync(monday, world.Patient.Id!);
        Assert.Equal("2027-03-15T09:00:00-04:00", Str(booked, "appointment.start"));
        Assert.Equal("BUSY", Str(booked, "appointment.slots.0.status"));
        Assert.Equal(3, (await FindAsync(window)).Count);
        var again = await BookAsync(monday, world.OtherPatient.Id!);
        Assert.Equal("SLOT_UNAVAILABLE", Str(again, "errors.0.code"));
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("Slot").Where("schedule", "Schedule/" + scheduleId), None));
    }

    [Fact]
    public async Task Buffers_keep_free_time_around_bookings()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var scheduleId = Str(await MutateAsync("createSchedule", "CreateScheduleInput",
            new { actorIds = new[] { "Practitioner/" + world.Practitioner.Id } }, "schedule { fhirId }"), "schedule.fhirId");
        await MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId,
            timeZone = "Europe/Paris",
            availableTimes = new[] { new { daysOfWeek = new[] { "FRIDAY" }, startTime = "09:00", endTime = "11:00" } },
            slotMinutes = 30,
            bufferBeforeMinutes = 30,
        }, "schedule { fhirId }");
        var window = new { scheduleIds = new[] { scheduleId }, start = "2027-03-12T00:00:00+01:00", end = "2027-03-13T00:00:00+01:00" };
        var before = await FindAsync(window);
        Assert.Equal(4, before.Count);

        await BookAsync(Str(before[0], "slotIds.0"), world.Patient.Id!);
        var after = await FindAsync(window);
        // 09:30 would start right after the 09:00 booking, without its 30 minutes of buffer.
        Assert.Equal(["2027-03-12T10:00:00+01:00", "2027-03-12T10:30:00+01:00"], after.Select(o => Str(o, "start")));
    }

    [Fact]
    public async Task Create_slots_generates_a_fortnight_of_weekday_slots_once()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var monday = DateTime.UtcNow.Date.AddDays(7 + (((int)DayOfWeek.Monday - (int)DateTime.UtcNow.DayOfWeek + 7) % 7));
        var input = new
        {
            scheduleId = world.Schedule.Id,
            from = monday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = monday.AddDays(13).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" },
            startTime = "09:00",
            endTime = "17:00",
            slotMinutes = 30,
            timeZone = "Europe/Paris",
        };

        var first = await MutateAsync("createSlots", "CreateSlotsInput", input, "count skipped slots { start }");
        var second = await MutateAsync("createSlots", "CreateSlotsInput", input, "count skipped");

        Assert.Equal(2 * 5 * 16, first["count"]!.GetValue<int>());
        Assert.Equal((0, 160), (second["count"]!.GetValue<int>(), second["skipped"]!.GetValue<int>()));
        var firstStart = DateTimeOffset.Parse(Str(first, "slots.0.start"), CultureInfo.InvariantCulture);
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        Assert.Equal(new TimeSpan(9, 0, 0), TimeZoneInfo.ConvertTime(firstStart, paris).TimeOfDay);
        Assert.Equal(160, (await Store.SearchAllAsync(new FhirQuery("Slot").Where("schedule", "Schedule/" + world.Schedule.Id), None)).Count);
    }

    [Fact]
    public async Task Blocking_time_takes_free_slots_out_and_unblocking_gives_them_back_but_bookings_are_never_blocked()
    {
        var world = await BookingWorld.CreateAsync(Store);
        await BookAsync(world.SlotId(0), world.Patient.Id!);

        var clash = await MutateAsync("blockTime", "BlockTimeInput",
            new { scheduleId = world.Schedule.Id, start = Iso(world.Slots[0].Start!.Value), end = Iso(world.Slots[2].End!.Value) }, "slot { fhirId }");
        Assert.Equal("CONFLICT", Str(clash, "errors.0.code"));
        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(world.SlotId(1), None))!.Status);

        var block = await MutateAsync("blockTime", "BlockTimeInput",
            new { scheduleId = world.Schedule.Id, start = Iso(world.Slots[1].Start!.Value), end = Iso(world.Slots[3].End!.Value), comment = "Staff meeting" },
            "slot { fhirId status comment }");
        Assert.Equal("BUSY_UNAVAILABLE", Str(block, "slot.status"));
        Assert.Equal(Slot.SlotStatus.BusyUnavailable, (await Store.ReadAsync<Slot>(world.SlotId(2), None))!.Status);
        var window = new { scheduleIds = new[] { world.Schedule.Id }, start = Iso(world.Slots[0].Start!.Value), end = Iso(world.Slots[^1].End!.Value) };
        Assert.Equal([GlobalSlot(world.SlotId(4)), GlobalSlot(world.SlotId(5))], (await FindAsync(window)).Select(o => Str(o, "slotIds.0")));

        var unblocked = await MutateAsync("unblockTime", "UnblockTimeInput", new { slotId = Str(block, "slot.fhirId") }, "freedSlotIds");
        Assert.Equal(
            new[] { GlobalSlot(world.SlotId(1)), GlobalSlot(world.SlotId(2)), GlobalSlot(world.SlotId(3)) }.Order(StringComparer.Ordinal),
            unblocked["freedSlotIds"]!.AsArray().Select(i => i!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(5, (await FindAsync(window)).Count);
        Assert.Null(await Store.ReadAsync<Slot>(Str(block, "slot.fhirId"), None));
    }

    [Fact]
    public async Task A_block_longer_than_a_day_that_starts_the_day_before_hides_what_it_covers_as_booking_refuses_it()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var firstStart = world.Slots[0].Start!.Value;
        await Store.CreateAsync(new Slot
        {
            Schedule = new ResourceReference("Schedule/" + world.Schedule.Id),
            Status = Slot.SlotStatus.BusyUnavailable,
            Start = firstStart.AddHours(-36),
            End = firstStart.AddHours(12),
            Comment = "Two-day leave",
        }, None);

        var window = new { scheduleIds = new[] { world.Schedule.Id }, start = Iso(firstStart), end = Iso(world.Slots[^1].End!.Value) };
        Assert.Empty(await FindAsync(window));
        Assert.Equal("SLOT_UNAVAILABLE", Str(await BookAsync(world.SlotId(0), world.Patient.Id!), "errors.0.code"));
    }

    [Fact]
    public async Task Only_free_slots_can_be_deleted()
    {
        var world = await BookingWorld.CreateAsync(Store);
        await BookAsync(world.SlotId(0), world.Patient.Id!);

        var deleted = await MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { world.SlotId(4), world.SlotId(5) } }, "deletedSlotIds");
        Assert.Equal(2, deleted["deletedSlotIds"]!.AsArray().Count);
        Assert.Null(await Store.ReadAsync<Slot>(world.SlotId(5), None));

        var booked = await MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { world.SlotId(0) } }, "deletedSlotIds");
        Assert.Equal("SLOT_UNAVAILABLE", Str(booked, "errors.0.code"));
        Assert.NotNull(await Store.ReadAsync<Slot>(world.SlotId(0), None));
        var unknown = await MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { "no-such-slot" } }, "deletedSlotIds");
        Assert.Equal("NOT_FOUND", Str(unknown, "errors.0.code"));
    }

    [Fact]
    public async Task Bad_management_input_is_a_validation_error_naming_the_field()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var zone = await MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId = world.Schedule.Id,
            timeZone = "Mars/Olympus_Mons",
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY" }, startTime = "09:00", endTime = "11:00" } },
            slotMinutes = 30,
        }, "schedule { fhirId }");
        Assert.Equal(("ValidationError", "timeZone"), (Str(zone, "errors.0.__typename"), Str(zone, "errors.0.field")));

        // An actor id that is no id (a search injection) is refused by the id codec before the mutation runs.
        var actor = await (await GatewayAsync()).QueryAsync(
            "mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { schedule { fhirId } } }", new { input = new { actorIds = new[] { "Practitioner/1&_include=*" } } });
        Assert.True(actor["data"] is null && actor.At("errors.0.extensions.code")?.GetValue<string>() == "INVALID_ID", actor.ToJsonString());
    }

    private async Task<List<JsonNode>> FindAsync(object input)
    {
        var response = await (await GatewayAsync()).QueryAsync(Availability, new { input });
        Assert.True(response["errors"] is null, response.ToJsonString());
        return [.. response.At("data.availability.nodes")!.AsArray().Select(n => n!)];
    }

    private async Task<JsonNode> BookAsync(string slotId, string patientId) =>
        await MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { slotId }, patientId }, "appointment { fhirId start slots { status } }");

    private async Task<JsonNode> MutateAsync(string field, string inputType, object input, string selection) =>
        await (await GatewayAsync()).MutateAsync(field, inputType, input, selection);

    private static string Iso(DateTimeOffset value) => GraphQLMutations.Iso(value);

    /// <summary>A slot's id as the API hands it out (availability, freed and deleted slots): its global id.</summary>
    private static string GlobalSlot(string fhirId) => GlobalId.Encode("Slot", fhirId);

    private static string Str(JsonNode? node, string path) => GraphQLMutations.Str(node, path);
}

public sealed class EmbeddedAvailabilityTests(EmbeddedGatewayFixture fixture) : AvailabilityTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumAvailabilityTests(MedplumFixture medplum) : AvailabilityTests(medplum.Compensating);

using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>The schedule side of the booking core (blockTime, unblockTime, deleteSlots, createSlots), on both stores.</summary>
public abstract class ScheduleChangesTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    /// <summary>A gateway writing with FHIR transaction Bundles (on the embedded store, as every gateway does).</summary>
    private Task<GatewayServer> TransactionGatewayAsync() => GatewayAsync(("Fhir:UseTransactions", "true"));

    private static CancellationToken None => CancellationToken.None;

    [Fact]
    public async Task Blocks_nest_unblocking_the_inner_one_frees_nothing_the_outer_one_still_covers()
    {
        var world = await BookingWorld.CreateAsync(Store);
        // The inner block first (it marks slot 2), then the outer one around it (it marks slots 1 and 3).
        var inner = await BlockAsync(world, 2, 3);
        var outer = await BlockAsync(world, 1, 4);

        var freed = await MutateAsync("unblockTime", "UnblockTimeInput", new { slotId = inner }, "freedSlotIds");
        Assert.Empty(freed["freedSlotIds"]!.AsArray());
        Assert.Equal(Slot.SlotStatus.BusyUnavailable, (await Store.ReadAsync<Slot>(world.SlotId(2), None))!.Status);
        var booking = await MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(2) }, patientId = world.Patient.Id }, "appointment { fhirId }");
        Assert.Equal("SLOT_UNAVAILABLE", Str(booking, "errors.0.code"));

        freed = await MutateAsync("unblockTime", "UnblockTimeInput", new { slotId = outer }, "freedSlotIds");
        Assert.Equal(
            new[] { GlobalId.Encode("Slot", world.SlotId(1)), GlobalId.Encode("Slot", world.SlotId(2)), GlobalId.Encode("Slot", world.SlotId(3)) }.Order(StringComparer.Ordinal),
            freed["freedSlotIds"]!.AsArray().Select(i => i!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Null(await Store.ReadAsync<Slot>(outer, None));
    }

    [Fact]
    public async Task A_block_over_time_without_free_slots_is_one_change_that_claims_the_actors_span_guards_and_unblocks()
    {
        // A lunch gap: the schedule has no slot at all in the blocked time. With transactions this sent an empty Bundle.
        var gateway = await TransactionGatewayAsync();
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.Date.AddDays(3).AddHours(12), TimeSpan.Zero);
        var block = await MutateAsync("blockTime", "BlockTimeInput",
            new { scheduleId = world.Schedule.Id, start = Iso(start), end = Iso(start.AddHours(1)) }, "slot { fhirId status }", gateway);
        Assert.Equal("BUSY_UNAVAILABLE", Str(block, "slot.status"));

        // The block took the practitioner's and the room's guard for that hour: a booking of the time serializes with it.
        var keys = new[] { "Practitioner/" + world.Practitioner.Id, "Location/" + world.Location.Id }
            .Select(actor => actor + ":" + start.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture));
        var guards = await Store.SearchAllAsync<Basic>(SpanGuardSearches.ByKeys(keys), None);
        Assert.Equal(2, guards.Count);
        Assert.All(guards, g => Assert.NotNull(g.GetExtension(GatewayProfile.GuardChangeExtension)));

        var unblocked = await MutateAsync("unblockTime", "UnblockTimeInput", new { slotId = Str(block, "slot.fhirId") }, "freedSlotIds", gateway);
        Assert.Empty(unblocked["freedSlotIds"]!.AsArray());
        Assert.Null(await Store.ReadAsync<Slot>(Str(block, "slot.fhirId"), None));
    }

    [Fact]
    public async Task Delete_slots_keeps_a_slot_a_cancelled_appointment_points_to_and_names_the_rule()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var booked = await MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }, "appointment { fhirId }");
        await MutateAsync("cancelAppointment", "CancelAppointmentInput", new { appointmentId = Str(booked, "appointment.fhirId"), reason = "test" }, "appointment { fhirId }");
        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(world.SlotId(0), None))!.Status);

        var refused = await MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { world.SlotId(0), world.SlotId(1) } }, "deletedSlotIds");
        Assert.Equal(("VALIDATION_FAILED", DeleteSlotsHandler.ReferencedRule), (Str(refused, "errors.0.code"), Str(refused, "errors.0.rule")));
        Assert.NotNull(await Store.ReadAsync<Slot>(world.SlotId(0), None));
        Assert.NotNull(await Store.ReadAsync<Slot>(world.SlotId(1), None));

        var deleted = await MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { world.SlotId(1) } }, "deletedSlotIds");
        Assert.Equal(GlobalId.Encode("Slot", world.SlotId(1)), Str(deleted, "deletedSlotIds.0"));
    }

    [Fact]
    public async Task Create_slots_refuses_an_inactive_schedule_and_time_outside_the_planning_horizon_and_uses_the_schedules_zone()
    {
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30);
        var dayStart = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var inactive = await BookingWorld.CreateAsync(Store, slots: 0, schedule: s => s.Active = false);
        var refused = await CreateSlotsAsync(inactive.Schedule.Id!, day, day);
        Assert.Equal(("VALIDATION_FAILED", "active-schedule"), (Str(refused, "errors.0.code"), Str(refused, "errors.0.rule")));

        var horizon = await BookingWorld.CreateAsync(Store, slots: 0, schedule: s => s.PlanningHorizon = new Period(null, new FhirDateTime(dayStart.AddDays(1).AddHours(8))));
        refused = await CreateSlotsAsync(horizon.Schedule.Id!, day, day.AddDays(1));
        Assert.Equal(("VALIDATION_FAILED", "planning-horizon", "to"), (Str(refused, "errors.0.code"), Str(refused, "errors.0.rule"), Str(refused, "errors.0.field")));
        Assert.Empty(await Store.SearchAllAsync<Slot>(SlotSearches.Overlapping([horizon.Schedule.Id!], dayStart, dayStart.AddDays(2)), None));
        Assert.Equal(2, (await CreateSlotsAsync(horizon.Schedule.Id!, day, day))["count"]!.GetValue<int>());

        // No timeZone in the input: the schedule's (HL7 timezone extension, valueCode) is used, not UTC.
        var paris = await BookingWorld.CreateAsync(Store, slots: 0,
            schedule: s => s.Extension.Add(new Extension(GatewayProfile.TimeZoneExtension, new Code("Europe/Paris"))));
        var created = await CreateSlotsAsync(paris.Schedule.Id!, day, day);
        var first = DateTimeOffset.Parse(Str(created, "slots.0.start"), CultureInfo.InvariantCulture);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        Assert.Equal(new TimeSpan(9, 0, 0), TimeZoneInfo.ConvertTime(first, zone).TimeOfDay);

        // A schedule made without a zone whose availability was then set in a zone: that zone is the schedule's.
        var ruled = await BookingWorld.CreateAsync(Store, slots: 0);
        var set = await MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId = ruled.Schedule.Id,
            timeZone = "Asia/Tokyo",
            slotMinutes = 30,
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY" }, startTime = "09:00", endTime = "12:00" } },
        }, "schedule { fhirId }");
        Assert.Equal(ruled.Schedule.Id, Str(set, "schedule.fhirId"));
        created = await CreateSlotsAsync(ruled.Schedule.Id!, day, day);
        first = DateTimeOffset.Parse(Str(created, "slots.0.start"), CultureInfo.InvariantCulture);
        Assert.Equal(new TimeSpan(9, 0, 0), TimeZoneInfo.ConvertTime(first, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo")).TimeOfDay);
        Assert.Equal("Asia/Tokyo", GatewayProfile.TimeZoneOf((await Store.ReadAsync<Schedule>(ruled.Schedule.Id!, None))!));
    }

    [Fact]
    public async Task Create_slots_refuses_time_in_the_past_with_the_rule_booking_names_and_creates_nothing()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var yesterday = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
        var refused = await CreateSlotsAsync(world.Schedule.Id!, yesterday, yesterday.AddDays(2));
        Assert.Equal(("VALIDATION_FAILED", BookingChecks.NotInThePastRule, "from"), (Str(refused, "errors.0.code"), Str(refused, "errors.0.rule"), Str(refused, "errors.0.field")));
        var dayStart = new DateTimeOffset(yesterday.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        Assert.Empty(await Store.SearchAllAsync<Slot>(SlotSearches.Overlapping([world.Schedule.Id!], dayStart, dayStart.AddDays(3)), None));
        Assert.Equal(4, (await CreateSlotsAsync(world.Schedule.Id!, yesterday.AddDays(2), yesterday.AddDays(3)))["count"]!.GetValue<int>());
    }

    private async Task<JsonNode> CreateSlotsAsync(string scheduleId, DateOnly from, DateOnly to) =>
        await MutateAsync("createSlots", "CreateSlotsInput", new
        {
            scheduleId,
            from = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            daysOfWeek = Enum.GetNames<DayOfWeek>().Select(d => d.ToUpperInvariant()).ToArray(),
            startTime = "09:00",
            endTime = "10:00",
            slotMinutes = 30,
        }, "count slots { start }");

    private async Task<string> BlockAsync(BookingWorld world, int first, int endBefore)
    {
        var block = await MutateAsync("blockTime", "BlockTimeInput",
            new { scheduleId = world.Schedule.Id, start = Iso(world.Slots[first].Start!.Value), end = Iso(world.Slots[endBefore - 1].End!.Value) }, "slot { fhirId }");
        return Str(block, "slot.fhirId");
    }

    private async Task<JsonNode> MutateAsync(string field, string inputType, object input, string selection, GatewayServer? gateway = null) =>
        await (gateway ?? await GatewayAsync()).MutateAsync(field, inputType, input, selection);

    private static string Iso(DateTimeOffset value) => GraphQLMutations.Iso(value);

    private static string Str(JsonNode? node, string path) => GraphQLMutations.Str(node, path);
}

public sealed class EmbeddedScheduleChangesTests(EmbeddedGatewayFixture fixture) : ScheduleChangesTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumScheduleChangesTests(MedplumFixture medplum) : ScheduleChangesTests(medplum.Compensating);

using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Slot capacity (issue 15, item 2) through the gateway, on each store and write mode: a 3-seat slot raced by ten
/// clients through two gateway instances takes exactly three bookings and is BUSY with its last; a cancel gives one
/// seat back (FREE again, one seat left) and the next booking takes it; an overbooked slot takes one booking beyond its
/// capacity from a scheduler, never from a patient.
/// </summary>
public abstract class CapacityTests(StoreGateways stores, ITestOutputHelper output) : StoreMatrixTests(stores)
{
    private const string SlotSeatsQuery = "query($id: ID!) { slot(id: $id) { status capacity seatsLeft overbooked } }";

    private const string CancelMutation = "mutation($input: CancelAppointmentInput!) { cancelAppointment(input: $input) { appointment { status } errors { ... on Error { code } } } }";

    private const string BookMutation = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { ... on Error { code } } } }";

    [Fact]
    public async Task A_three_seat_slot_takes_exactly_three_of_ten_racing_clients_and_a_cancel_frees_one_seat()
    {
        var (first, second) = await StartTwoGatewaysAsync(new() { ["Booking:MaxOpenBookingsPerPatient"] = "0" });
        await using var a = first;
        await using var b = second;
        var world = await WorldAsync(capacity: 3, overbooked: false);
        var patients = await BookingRace.PatientsAsync(Store, 12);

        var outcomes = await BookingRace.RunAsync([first, second], world, [.. patients.Take(10)], 10);
        output.WriteLine(string.Join(", ", outcomes.Select(o => o.AppointmentId is null ? o.ErrorCode : "won")));

        var winners = outcomes.Where(o => o.AppointmentId is not null).Select(o => o.AppointmentId!).ToList();
        Assert.Equal(3, winners.Count);
        Assert.All(outcomes.Where(o => o.AppointmentId is null), o => Assert.Equal("SLOT_UNAVAILABLE", o.ErrorCode));
        Assert.Equal(winners.Order(), (await HoldersAsync(world)).Order());
        Assert.Equal(Slot.SlotStatus.Busy, (await SlotAsync(world)).Status);
        await AssertSeatsAsync(first, world, "BUSY", 0);

        var cancelled = await first.QueryAsync(CancelMutation, new { input = new { appointmentId = winners[1], reason = "Cannot come" } });
        Assert.Equal("CANCELLED", cancelled.At("data.cancelAppointment.appointment.status")?.GetValue<string>());
        Assert.Equal(Slot.SlotStatus.Free, (await SlotAsync(world)).Status);
        await AssertSeatsAsync(second, world, "FREE", 1);

        var next = await BookAsync(second, world, patients[10].Id!, null);
        Assert.NotNull(next.AppointmentId);
        Assert.Equal(3, (await HoldersAsync(world)).Count);
        Assert.Equal(Slot.SlotStatus.Busy, (await SlotAsync(world)).Status);
        Assert.Equal("SLOT_UNAVAILABLE", (await BookAsync(first, world, patients[11].Id!, null)).ErrorCode);
    }

    [Fact]
    public async Task An_overbooked_slot_takes_one_booking_beyond_capacity_from_a_scheduler_and_none_from_a_patient()
    {
        var settings = TestTokens.GatewaySettings();
        settings["Booking:MaxOpenBookingsPerPatient"] = "0";
        var (first, second) = await StartTwoGatewaysAsync(settings);
        await using var a = first;
        await using var b = second;
        var world = await WorldAsync(capacity: 2, overbooked: true);
        var patients = await BookingRace.PatientsAsync(Store, 5);
        var scheduler = TestTokens.Scheduler();

        Assert.NotNull((await BookAsync(first, world, patients[0].Id!, scheduler)).AppointmentId);
        Assert.NotNull((await BookAsync(second, world, patients[1].Id!, TestTokens.Patient(patients[1].Id!))).AppointmentId);
        Assert.Equal(Slot.SlotStatus.Busy, (await SlotAsync(world)).Status);

        // Full at its capacity: a patient is refused, a practitioner too; a scheduler takes the one seat beyond it, and no more.
        Assert.Equal("SLOT_UNAVAILABLE", (await BookAsync(first, world, patients[2].Id!, TestTokens.Patient(patients[2].Id!))).ErrorCode);
        Assert.Equal("SLOT_UNAVAILABLE", (await BookAsync(first, world, patients[2].Id!, TestTokens.Practitioner(world.Practitioner.Id!))).ErrorCode);
        Assert.NotNull((await BookAsync(second, world, patients[2].Id!, scheduler)).AppointmentId);
        Assert.Equal("SLOT_UNAVAILABLE", (await BookAsync(first, world, patients[3].Id!, TestTokens.Admin())).ErrorCode);
        Assert.Equal(3, (await HoldersAsync(world)).Count);
        Assert.Equal(Slot.SlotStatus.Busy, (await SlotAsync(world)).Status);
        var seats = await first.QueryAsync(SlotSeatsQuery, new { id = world.SlotId(0) }, scheduler);
        Assert.Equal(0, seats.At("data.slot.seatsLeft")?.GetValue<int>());
        Assert.True(seats.At("data.slot.overbooked")?.GetValue<bool>());
    }

    [Fact]
    public async Task A_block_over_a_slot_with_a_seat_taken_is_refused_though_the_slot_is_free()
    {
        var (first, second) = await StartTwoGatewaysAsync([]);
        await using var a = first;
        await using var b = second;
        var world = await WorldAsync(capacity: 3, overbooked: false);
        Assert.NotNull((await BookAsync(first, world, world.Patient.Id!, null)).AppointmentId);
        Assert.Equal(Slot.SlotStatus.Free, (await SlotAsync(world)).Status);

        var slot = world.Slots[0];
        var blocked = await second.QueryAsync(
            "mutation($input: BlockTimeInput!) { blockTime(input: $input) { slot { id } errors { ... on Error { code } } } }",
            new { input = new { scheduleId = world.Schedule.Id, start = slot.Start!.Value.ToString("O"), end = slot.End!.Value.ToString("O") } });
        Assert.Equal("CONFLICT", blocked.At("data.blockTime.errors.0.code")?.GetValue<string>());
        Assert.Equal(Slot.SlotStatus.Free, (await SlotAsync(world)).Status);
    }

    [Fact]
    public async Task A_rule_with_seats_offers_its_time_with_the_seats_left_until_the_last_is_taken()
    {
        var (first, second) = await StartTwoGatewaysAsync(new() { ["Booking:MaxOpenBookingsPerPatient"] = "0" });
        await using var a = first;
        await using var b = second;
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var day = DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(3);
        var set = await first.QueryAsync(
            "mutation($input: SetAvailabilityInput!) { setAvailability(input: $input) { schedule { availability { capacity } } errors { ... on Error { code } } } }",
            new { input = new { scheduleId = world.Schedule.Id, timeZone = "UTC", slotMinutes = 30, capacity = 2,
                availableTimes = new[] { new { daysOfWeek = new[] { day.DayOfWeek.ToString().ToUpperInvariant() }, startTime = "09:00", endTime = "10:00" } } } });
        Assert.Equal(2, set.At("data.setAvailability.schedule.availability.capacity")?.GetValue<int>());
        var patients = await BookingRace.PatientsAsync(Store, 3);

        var offered = await OptionsAsync(first, world, day, 30);
        Assert.Equal([2, 2], offered.Select(o => o.SeatsLeft));
        Assert.NotNull((await BookOptionAsync(first, offered[0].Id, patients[0].Id!)).AppointmentId);
        Assert.Equal([1, 2], (await OptionsAsync(second, world, day, 30)).Select(o => o.SeatsLeft));
        // An hour over the seat's half hour is not offered: the practitioner sits in the group then.
        Assert.Empty(await OptionsAsync(second, world, day, 60));
        Assert.NotNull((await BookOptionAsync(second, offered[0].Id, patients[1].Id!)).AppointmentId);
        Assert.Equal([2], (await OptionsAsync(first, world, day, 30)).Select(o => o.SeatsLeft));
        Assert.Equal("SLOT_UNAVAILABLE", (await BookOptionAsync(first, offered[0].Id, patients[2].Id!)).ErrorCode);

        var made = await Store.SearchAllAsync<Slot>(SlotSearches.Filtered([world.Schedule.Id!], null, null, null), CancellationToken.None);
        var slot = Assert.Single(made);
        Assert.Equal(2, SlotSeats.Capacity(slot));
        Assert.Equal(Slot.SlotStatus.Busy, slot.Status);
        Assert.Equal(2, (await Store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots([slot.Id!]), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task CreateSlots_with_a_capacity_makes_slots_with_seats_that_availability_offers()
    {
        var (first, second) = await StartTwoGatewaysAsync([]);
        await using var a = first;
        await using var b = second;
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var day = DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(3);
        var created = await first.QueryAsync(
            "mutation($input: CreateSlotsInput!) { createSlots(input: $input) { slots { capacity seatsLeft } errors { ... on Error { code } ... on ValidationError { rule } } } }",
            new { input = new { scheduleId = world.Schedule.Id, from = day.ToString("yyyy-MM-dd"), to = day.ToString("yyyy-MM-dd"),
                daysOfWeek = new[] { day.DayOfWeek.ToString().ToUpperInvariant() }, startTime = "09:00", endTime = "10:00", slotMinutes = 30, capacity = 4 } });
        Assert.Equal([4, 4], created.At("data.createSlots.slots")!.AsArray().Select(n => n!["capacity"]!.GetValue<int>()));
        Assert.Equal([4, 4], created.At("data.createSlots.slots")!.AsArray().Select(n => n!["seatsLeft"]!.GetValue<int>()));
        Assert.Equal([4, 4], (await OptionsAsync(second, world, day, 30)).Select(o => o.SeatsLeft));

        var refused = await first.QueryAsync(
            "mutation($input: CreateSlotsInput!) { createSlots(input: $input) { errors { ... on ValidationError { rule } } } }",
            new { input = new { scheduleId = world.Schedule.Id, from = day.ToString("yyyy-MM-dd"), to = day.ToString("yyyy-MM-dd"),
                daysOfWeek = new[] { day.DayOfWeek.ToString().ToUpperInvariant() }, startTime = "11:00", endTime = "12:00", slotMinutes = 30, capacity = 0 } });
        Assert.Equal(SlotSeats.CapacityRule, refused.At("data.createSlots.errors.0.rule")?.GetValue<string>());
    }

    private static async Task<List<(string Id, int SeatsLeft)>> OptionsAsync(GatewayServer gateway, BookingWorld world, DateTime day, int minutes)
    {
        var response = await gateway.QueryAsync(
            "query($input: AvailabilityInput!) { availability(input: $input) { edges { node { id seatsLeft } } } }",
            new { input = new { scheduleIds = new[] { world.Schedule.Id }, start = day.ToString("yyyy-MM-dd'T'00:00:00'Z'"), end = day.ToString("yyyy-MM-dd'T'23:59:00'Z'"), durationMinutes = minutes } });
        return [.. (response.At("data.availability.edges") as System.Text.Json.Nodes.JsonArray ?? throw new InvalidOperationException(response.ToJsonString()))
            .Select(e => (e!["node"]!["id"]!.GetValue<string>(), e["node"]!["seatsLeft"]!.GetValue<int>()))];
    }

    private static async Task<BookingRace.Outcome> BookOptionAsync(GatewayServer gateway, string optionId, string patientId)
    {
        var response = await gateway.QueryAsync(
            "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { ... on Error { code } } } }",
            new { input = new { time = new { optionId }, patientId } });
        var payload = response.At("data.bookAppointment");
        return new BookingRace.Outcome(0, payload.At("appointment.fhirId")?.GetValue<string>(),
            payload.At("errors.0.code")?.GetValue<string>() ?? response.At("errors.0.message")?.GetValue<string>(), TimeSpan.Zero);
    }

    /// <summary>One 30-minute slot with these seats (the gateway's capacity extension), on a fresh practitioner's schedule.</summary>
    private async Task<BookingWorld> WorldAsync(int capacity, bool overbooked)
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 1);
        var slot = (Slot)world.Slots[0].DeepCopy();
        slot.Extension.Add(new Extension(GatewayProfile.CapacityExtension, new PositiveInt(capacity)));
        slot.Overbooked = overbooked ? true : null;
        var updated = await Store.UpdateAsync(slot, world.Slots[0].Meta?.VersionId, CancellationToken.None);
        return world with { Slots = [updated] };
    }

    private async Task<Slot> SlotAsync(BookingWorld world) => await Store.ReadRequiredAsync<Slot>(world.SlotId(0), CancellationToken.None);

    private async Task<List<string>> HoldersAsync(BookingWorld world) =>
        [.. (await Store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots([world.SlotId(0)]), CancellationToken.None)).Select(a => a.Id!)];

    private static async Task AssertSeatsAsync(GatewayServer gateway, BookingWorld world, string status, int seatsLeft)
    {
        var seats = await gateway.QueryAsync(SlotSeatsQuery, new { id = world.SlotId(0) });
        Assert.Equal(status, seats.At("data.slot.status")?.GetValue<string>());
        Assert.Equal(3, seats.At("data.slot.capacity")?.GetValue<int>());
        Assert.Equal(seatsLeft, seats.At("data.slot.seatsLeft")?.GetValue<int>());
    }

    private static async Task<BookingRace.Outcome> BookAsync(GatewayServer gateway, BookingWorld world, string patientId, string? token)
    {
        var response = await gateway.QueryAsync(BookMutation, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId } }, token);
        var payload = response.At("data.bookAppointment");
        return new BookingRace.Outcome(0, payload.At("appointment.fhirId")?.GetValue<string>(),
            payload.At("errors.0.code")?.GetValue<string>() ?? response.At("errors.0.extensions.code")?.GetValue<string>(), TimeSpan.Zero);
    }
}

public sealed class EmbeddedCapacityTests(EmbeddedGatewayFixture fixture, ITestOutputHelper output) : CapacityTests(fixture.Stores, output), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingCapacityTests(MedplumFixture medplum, ITestOutputHelper output) : CapacityTests(medplum.Compensating, output);

[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionCapacityTests(MedplumFixture medplum, ITestOutputHelper output) : CapacityTests(medplum.Transactions, output);

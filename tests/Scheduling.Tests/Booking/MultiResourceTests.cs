using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Several resources at once (issue 15, item 1), through two gateway instances on each store and write mode: a surgeon,
/// a room and a device are offered only where all three are free; booking takes all three as one appointment (every
/// actor a participant, every slot BUSY) or none when one was taken meanwhile; a pool option assigns a free
/// practitioner and says why; rescheduling moves every part; cancelling frees every slot; a second schedule of the
/// room sees the room busy (busy time per actor, not per schedule).
/// </summary>
public abstract class MultiResourceTests(StoreGateways stores, ITestOutputHelper output) : StoreMatrixTests(stores)
{
    private const string Availability = """
        query($input: AvailabilityInput!) { availability(input: $input) { edges { node {
          id start end slotIds parts { schedule { fhirId } slotIds assignedBy actor { __typename ... on Practitioner { fhirId } } } } } } }
        """;

    private const string Book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId status } errors { ... on Error { code message } } } }";

    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Surgeon_room_and_device_are_offered_only_where_all_three_are_free_and_booking_takes_all_three_until_cancelled()
    {
        var (first, second) = await StartTwoGatewaysAsync([]);
        await using var a = first;
        await using var b = second;
        var world = await World.CreateAsync(Store, pool: 0);
        // The room is blocked at 14:30, the device at 15:00: only 14:00 and 15:30 have all three free.
        await SetStatusAsync(world.Room.Slots[1], Slot.SlotStatus.BusyUnavailable);
        await SetStatusAsync(world.Device.Slots[2], Slot.SlotStatus.BusyUnavailable);

        var options = await OptionsAsync(first, world, world.Surgeon.Requirement, world.Room.Requirement, world.Device.Requirement);
        Assert.Equal([world.At(0), world.At(3)], options.Select(o => o["start"]!.GetValue<DateTimeOffset>()));
        var option = options[0];
        Assert.Equal([world.Surgeon.Schedule.Id, world.Room.Schedule.Id, world.Device.Schedule.Id],
            option["parts"]!.AsArray().Select(p => p!["schedule"]!["fhirId"]!.GetValue<string>()));

        var booked = await BookAsync(second, new { optionId = option["id"]!.GetValue<string>() }, world.Patient.Id!);
        Assert.True(booked.Id is not null, booked.Error);
        var appointment = await Store.ReadRequiredAsync<Appointment>(booked.Id!, None);
        Assert.Equal(Appointment.AppointmentStatus.Booked, appointment.Status);
        Assert.Equal(world.SlotsAt(0).Select(s => "Slot/" + s.Id).Order(), appointment.Slot.Select(r => r.Reference).Order());
        Assert.Superset(new HashSet<string?> { "Practitioner/" + world.Surgeon.ActorId, "Location/" + world.Room.ActorId, "Device/" + world.Device.ActorId, "Patient/" + world.Patient.Id },
            appointment.Participant.Select(p => p.Actor?.Reference).ToHashSet());
        Assert.All(await ReadAsync(world.SlotsAt(0)), s => Assert.Equal(Slot.SlotStatus.Busy, s.Status));
        Assert.Equal([world.At(3)], (await OptionsAsync(first, world, world.Surgeon.Requirement, world.Room.Requirement, world.Device.Requirement))
            .Select(o => o["start"]!.GetValue<DateTimeOffset>()));

        // The room on another schedule of its own: its 14:00 is the room's time, taken (per actor, not per schedule).
        var otherRoomSlot = await world.SecondRoomScheduleAsync(Store);
        var refused = await BookAsync(first, new { slotIds = new[] { otherRoomSlot.Id } }, world.OtherPatient.Id!);
        Assert.Equal("SLOT_UNAVAILABLE", refused.Error);

        var cancelled = await first.QueryAsync("mutation($input: CancelAppointmentInput!) { cancelAppointment(input: $input) { appointment { status } } }",
            new { input = new { appointmentId = booked.Id, reason = "Moved elsewhere" } });
        Assert.Equal("CANCELLED", cancelled.At("data.cancelAppointment.appointment.status")?.GetValue<string>());
        Assert.All(await ReadAsync(world.SlotsAt(0)), s => Assert.Equal(Slot.SlotStatus.Free, s.Status));
    }

    [Fact]
    public async Task A_room_taken_meanwhile_makes_the_booking_take_nothing_by_option_or_by_slot_ids_and_under_a_race()
    {
        var (first, second) = await StartTwoGatewaysAsync([]);
        await using var a = first;
        await using var b = second;
        var world = await World.CreateAsync(Store, pool: 0);
        var options = await OptionsAsync(first, world, world.Surgeon.Requirement, world.Room.Requirement, world.Device.Requirement);
        Assert.Equal(4, options.Count);

        // Meanwhile the room alone is booked at 14:00 through the other gateway: the option takes nothing.
        Assert.NotNull((await BookAsync(second, new { slotIds = new[] { world.Room.Slots[0].Id } }, world.OtherPatient.Id!)).Id);
        Assert.Equal("SLOT_UNAVAILABLE", (await BookAsync(first, new { optionId = options[0]["id"]!.GetValue<string>() }, world.Patient.Id!)).Error);
        Assert.Equal("SLOT_UNAVAILABLE", (await BookAsync(first, new { slotIds = world.SlotsAt(0).Select(s => s.Id).ToArray() }, world.Patient.Id!)).Error);
        Assert.All(await ReadAsync([world.Surgeon.Slots[0], world.Device.Slots[0]]), s => Assert.Equal(Slot.SlotStatus.Free, s.Status));

        // A race at 14:30, 15:00 and 15:30: the three-part booking against the room alone, through both gateways.
        var races = Enumerable.Range(1, 3).SelectMany(i => new[]
        {
            BookAsync(first, new { optionId = options[i]["id"]!.GetValue<string>() }, world.Patient.Id!),
            BookAsync(second, new { slotIds = new[] { world.Room.Slots[i].Id } }, world.OtherPatient.Id!),
        }).ToList();
        var outcomes = await Task.WhenAll(races);
        output.WriteLine(string.Join(", ", outcomes.Select(o => o.Id is null ? o.Error : "won")));
        for (var i = 1; i <= 3; i++)
        {
            var (multi, room) = (outcomes[(2 * (i - 1))], outcomes[(2 * (i - 1)) + 1]);
            Assert.True(multi.Id is null != (room.Id is null), $"at {i}: exactly one of the two wins ({multi.Error} / {room.Error})");
            var others = await ReadAsync([world.Surgeon.Slots[i], world.Device.Slots[i]]);
            Assert.All(others, s => Assert.Equal(multi.Id is null ? Slot.SlotStatus.Free : Slot.SlotStatus.Busy, s.Status));
            Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadRequiredAsync<Slot>(world.Room.Slots[i].Id!, None)).Status);
        }

        // No appointment of the patient but the winners', each with all three slots.
        var mine = (await Store.SearchAllAsync<Appointment>(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None))
            .Where(ap => ap.Status != Appointment.AppointmentStatus.Cancelled).ToList();
        Assert.Equal(outcomes.Where((o, i) => i % 2 == 0 && o.Id is not null).Select(o => o.Id).Order(), mine.Select(ap => ap.Id).Order());
        Assert.All(mine, ap => Assert.Equal(3, ap.Slot.Count));
    }

    /// <summary>
    /// A booking for a patient taking two practitioners' time at once counts as two of the patient's open bookings:
    /// the booking rules judge the change once, with every part (not once per part, each seeing one booking). A room
    /// or a device beside one practitioner counts nothing more. By slot ids and by a `requires` option alike.
    /// </summary>
    [Fact]
    public async Task A_booking_taking_two_practitioners_counts_as_two_of_the_patients_open_bookings()
    {
        var (first, second) = await StartTwoGatewaysAsync(new() { ["Booking:MaxOpenBookingsPerPatient"] = "2" });
        await using var a = first;
        await using var b = second;
        var world = await World.CreateAsync(Store, pool: 1);
        var anaesthetist = world.Pool[0];
        Assert.NotNull((await BookAsync(first, new { slotIds = new[] { world.Room.Slots[3].Id } }, world.Patient.Id!)).Id);

        // One open already: surgeon + anaesthetist (+ room) would make three.
        Assert.Equal("BOOKING_RULE", (await BookAsync(second, new { slotIds = new[] { world.Surgeon.Slots[0].Id, anaesthetist.Slots[0].Id, world.Room.Slots[0].Id } }, world.Patient.Id!)).Error);
        var option = (await OptionsAsync(first, world, world.Surgeon.Requirement, anaesthetist.Requirement))[1];
        Assert.Equal("BOOKING_RULE", (await BookAsync(second, new { optionId = option["id"]!.GetValue<string>() }, world.Patient.Id!)).Error);
        Assert.All(await ReadAsync([world.Surgeon.Slots[0], anaesthetist.Slots[0], world.Room.Slots[0], world.Surgeon.Slots[1], anaesthetist.Slots[1]]),
            s => Assert.Equal(Slot.SlotStatus.Free, s.Status));

        // Surgeon, room and device: one practitioner, two bookings in all.
        Assert.NotNull((await BookAsync(second, new { slotIds = new[] { world.Surgeon.Slots[0].Id, world.Room.Slots[0].Id, world.Device.Slots[0].Id } }, world.Patient.Id!)).Id);
        // For another patient with none open, both practitioners at once are two of two.
        Assert.NotNull((await BookAsync(first, new { slotIds = new[] { world.Surgeon.Slots[1].Id, anaesthetist.Slots[1].Id } }, world.OtherPatient.Id!)).Id);
    }

    [Theory]
    [InlineData("FirstFree", "FIRST_FREE")]
    [InlineData("LeastBookedThatDay", "LEAST_BOOKED_THAT_DAY")]
    public async Task A_pool_option_assigns_a_free_practitioner_and_says_why(string policy, string reason)
    {
        var (first, second) = await StartTwoGatewaysAsync(new() { ["Booking:PoolAssignment"] = policy });
        await using var a = first;
        await using var b = second;
        var world = await World.CreateAsync(Store, pool: 2);
        var (p1, p2) = (world.Pool[0], world.Pool[1]);
        // p1 is busy at 14:00; p1 has one appointment that day (15:30), p2 none.
        await SetStatusAsync(p1.Slots[0], Slot.SlotStatus.BusyUnavailable);
        Assert.NotNull((await BookAsync(first, new { slotIds = new[] { p1.Slots[3].Id } }, world.OtherPatient.Id!)).Id);
        var pool = new { anyOfPractitionerIds = new[] { p1.ActorId, p2.ActorId } };

        var options = await OptionsAsync(first, world, pool, world.Room.Requirement);
        Assert.Equal(4, options.Count);
        string Assigned(JsonNode option) => option["parts"]!.AsArray().Single(p => p!["assignedBy"] is not null)!["actor"]!["fhirId"]!.GetValue<string>();
        Assert.All(options, o => Assert.Equal(reason, o["parts"]!.AsArray().Single(p => p!["assignedBy"] is not null)!["assignedBy"]!.GetValue<string>()));
        Assert.Equal(p2.ActorId, Assigned(options[0]));
        // 14:30, both free: the first of the pool, or the one with fewer appointments that day.
        Assert.Equal(policy == "FirstFree" ? p1.ActorId : p2.ActorId, Assigned(options[1]));
        Assert.Equal(p2.ActorId, Assigned(options[3]));

        var booked = await BookAsync(second, new { optionId = options[0]["id"]!.GetValue<string>() }, world.Patient.Id!);
        Assert.True(booked.Id is not null, booked.Error);
        var appointment = await Store.ReadRequiredAsync<Appointment>(booked.Id!, None);
        Assert.Contains("Practitioner/" + p2.ActorId, appointment.Participant.Select(p => p.Actor?.Reference));
        Assert.DoesNotContain("Practitioner/" + p1.ActorId, appointment.Participant.Select(p => p.Actor?.Reference));
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadRequiredAsync<Slot>(p2.Slots[0].Id!, None)).Status);
    }

    [Fact]
    public async Task Rescheduling_moves_every_part_and_frees_every_old_slot()
    {
        var (first, second) = await StartTwoGatewaysAsync([]);
        await using var a = first;
        await using var b = second;
        var world = await World.CreateAsync(Store, pool: 0);
        var options = await OptionsAsync(first, world, world.Surgeon.Requirement, world.Room.Requirement, world.Device.Requirement);
        var booked = await BookAsync(first, new { optionId = options[0]["id"]!.GetValue<string>() }, world.Patient.Id!);
        Assert.True(booked.Id is not null, booked.Error);

        var moved = await second.QueryAsync(
            "mutation($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) { appointment { start } errors { ... on Error { code message } } } }",
            new { input = new { appointmentId = booked.Id, time = new { optionId = options[2]["id"]!.GetValue<string>() } } });
        Assert.True(moved.At("data.rescheduleAppointment.errors.0") is null, moved.ToJsonString());
        var appointment = await Store.ReadRequiredAsync<Appointment>(booked.Id!, None);
        Assert.Equal(world.SlotsAt(2).Select(s => "Slot/" + s.Id).Order(), appointment.Slot.Select(r => r.Reference).Order());
        Assert.All(await ReadAsync(world.SlotsAt(0)), s => Assert.Equal(Slot.SlotStatus.Free, s.Status));
        Assert.All(await ReadAsync(world.SlotsAt(2)), s => Assert.Equal(Slot.SlotStatus.Busy, s.Status));
    }

    private async Task SetStatusAsync(Slot slot, Slot.SlotStatus status)
    {
        var current = await Store.ReadRequiredAsync<Slot>(slot.Id!, None);
        current.Status = status;
        await Store.UpdateAsync(current, current.Meta?.VersionId, None);
    }

    private async Task<List<Slot>> ReadAsync(IEnumerable<Slot> slots) =>
        [.. await Task.WhenAll(slots.Select(s => Store.ReadRequiredAsync<Slot>(s.Id!, None)))];

    private static async Task<List<JsonNode>> OptionsAsync(GatewayServer gateway, World world, params object[] requires)
    {
        var response = await gateway.QueryAsync(Availability, new
        {
            input = new { requires, start = world.At(0).AddHours(-1).ToString("O"), end = world.At(4).ToString("O"), durationMinutes = 30 },
        });
        return [.. (response.At("data.availability.edges") as JsonArray ?? throw new InvalidOperationException(response.ToJsonString())).Select(e => e!["node"]!)];
    }

    private static async Task<(string? Id, string? Error)> BookAsync(GatewayServer gateway, object time, string patientId)
    {
        var response = await gateway.QueryAsync(Book, new { input = new { time, patientId } });
        return (response.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>(),
            response.At("data.bookAppointment.errors.0.code")?.GetValue<string>() ?? response.At("errors.0.message")?.GetValue<string>());
    }

    /// <summary>An actor with a schedule of its own and four free 30-minute slots from 14:00 UTC three days ahead.</summary>
    private sealed record Resource(string ActorId, Schedule Schedule, IReadOnlyList<Slot> Slots, object Requirement);

    private sealed record World(Resource Surgeon, Resource Room, Resource Device, IReadOnlyList<Resource> Pool, Patient Patient, Patient OtherPatient, DateTimeOffset Start)
    {
        public DateTimeOffset At(int index) => Start.AddMinutes(30 * index);

        public IReadOnlyList<Slot> SlotsAt(int index) => [Surgeon.Slots[index], Room.Slots[index], Device.Slots[index]];

        public static async Task<World> CreateAsync(IFhirStore store, int pool)
        {
            var tag = Guid.NewGuid().ToString("N")[..6];
            var day = DateTimeOffset.UtcNow.Date.AddDays(3);
            var start = new DateTimeOffset(day.Year, day.Month, day.Day, 14, 0, 0, TimeSpan.Zero);
            var surgeon = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Surgeon" + tag }] }, None);
            var room = await store.CreateAsync(new Location { Name = "Theatre " + tag }, None);
            var device = await store.CreateAsync(new Device { DeviceName = [new Device.DeviceNameComponent { Name = "C-arm " + tag, Type = DeviceNameType.UserFriendlyName }] }, None);
            var poolMembers = new List<Resource>();
            for (var i = 0; i < pool; i++)
            {
                var member = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Anaesthetist" + i + tag }] }, None);
                poolMembers.Add(await ResourceAsync(store, "Practitioner", member.Id!, start, new { practitionerId = member.Id }));
            }

            return new World(
                await ResourceAsync(store, "Practitioner", surgeon.Id!, start, new { practitionerId = surgeon.Id }),
                await ResourceAsync(store, "Location", room.Id!, start, new { locationId = room.Id }),
                await ResourceAsync(store, "Device", device.Id!, start, new { deviceId = device.Id }),
                poolMembers,
                await store.CreateAsync(new Patient { Name = [new HumanName { Family = "Patient" + tag }] }, None),
                await store.CreateAsync(new Patient { Name = [new HumanName { Family = "Other" + tag }] }, None),
                start);
        }

        /// <summary>A second schedule of the room with a free slot at 14:00.</summary>
        public async Task<Slot> SecondRoomScheduleAsync(IFhirStore store) =>
            (await ResourceAsync(store, "Location", Room.ActorId, Start, Room.Requirement, slots: 1)).Slots[0];

        private static async Task<Resource> ResourceAsync(IFhirStore store, string type, string id, DateTimeOffset start, object requirement, int slots = 4)
        {
            var schedule = await store.CreateAsync(new Schedule { Active = true, Actor = [new ResourceReference(type + "/" + id)] }, None);
            var made = new List<Slot>();
            for (var i = 0; i < slots; i++)
            {
                made.Add(await store.CreateAsync(new Slot
                {
                    Schedule = new ResourceReference("Schedule/" + schedule.Id),
                    Status = Slot.SlotStatus.Free,
                    Start = start.AddMinutes(30 * i),
                    End = start.AddMinutes(30 * (i + 1)),
                }, None));
            }

            return new Resource(id, schedule, made, requirement);
        }
    }
}

public sealed class EmbeddedMultiResourceTests(EmbeddedGatewayFixture fixture, ITestOutputHelper output) : MultiResourceTests(fixture.Stores, output), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingMultiResourceTests(MedplumFixture medplum, ITestOutputHelper output) : MultiResourceTests(medplum.Compensating, output);

[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionMultiResourceTests(MedplumFixture medplum, ITestOutputHelper output) : MultiResourceTests(medplum.Transactions, output);

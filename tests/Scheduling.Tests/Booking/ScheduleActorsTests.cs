using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Per actor of a schedule, active appointments never overlap, whatever kind the actor is and whichever of its
/// schedules the time was taken on: every actor of the schedule takes part in the appointment, booking refuses
/// and availability leaves out time an actor gave on another schedule, and a reschedule takes the new schedule's actors.
/// </summary>
public abstract class ScheduleActorsTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string Availability = """
        query($input: AvailabilityInput!) { availability(input: $input) { nodes { slotIds } } }
        """;

    private static CancellationToken None => CancellationToken.None;

    /// <summary>Two schedules at the same hours, each with its own practitioner and room, sharing one more actor.</summary>
    [Theory]
    [InlineData("Practitioner")]
    [InlineData("Device")]
    [InlineData("Location")]
    public async Task Time_a_shared_actor_gave_on_one_schedule_is_neither_offered_nor_bookable_on_the_other(string kind)
    {
        var shared = await SharedActorAsync(kind);
        var a = await BookingWorld.CreateAsync(Store, schedule: s => s.Actor.Add(new ResourceReference(shared)));
        var b = await BookingWorld.CreateAsync(Store, schedule: s => s.Actor.Add(new ResourceReference(shared)));
        Assert.Contains(b.SlotId(0), await OfferedAsync(b));

        var booked = await BookAsync(a.SlotId(0), a.Patient.Id!);
        Assert.Contains(shared, (await ParticipantsAsync(Str(booked, "appointment.fhirId"))).Select(p => p.Actor));

        var offered = await OfferedAsync(b);
        Assert.DoesNotContain(b.SlotId(0), offered);
        Assert.Contains(b.SlotId(1), offered);
        var refused = await BookAsync(b.SlotId(0), b.Patient.Id!);
        Assert.Equal(("SlotUnavailableError", "SLOT_UNAVAILABLE"), (Str(refused, "errors.0.__typename"), Str(refused, "errors.0.code")));
        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(b.SlotId(0), None))!.Status);
        Assert.Empty((await BookAsync(b.SlotId(1), b.Patient.Id!))["errors"]!.AsArray());
    }

    [Fact]
    public async Task Every_actor_takes_part_the_named_practitioner_answers_and_a_reschedule_takes_the_new_schedules_actors()
    {
        var assistant = await SharedActorAsync("Practitioner");
        var laser = await SharedActorAsync("Device");
        var service = (await Store.CreateAsync(new HealthcareService { Name = "Day surgery" }, None)).Id!;
        var a = await BookingWorld.CreateAsync(Store, schedule: s => s.Actor.AddRange([new ResourceReference(assistant), new ResourceReference(laser)]));
        var c = await BookingWorld.CreateAsync(Store, schedule: s =>
        {
            s.Actor[0] = new ResourceReference("Practitioner/" + a.Practitioner.Id);
            s.Actor.Add(new ResourceReference("HealthcareService/" + service));
        });

        var held = await (await GatewayAsync()).MutateAsync("holdSlots", "HoldSlotsInput",
            new { slotIds = new[] { a.SlotId(0) }, patientId = a.Patient.Id, practitionerId = a.Practitioner.Id }, "appointment { fhirId }");
        var id = Str(held, "appointment.fhirId");
        var surgeon = "Practitioner/" + a.Practitioner.Id;
        Assert.Equal(
            [
                ("Patient/" + a.Patient.Id, ParticipationStatus.Accepted),
                (surgeon, ParticipationStatus.NeedsAction),
                ("Location/" + a.Location.Id, ParticipationStatus.Accepted),
                (assistant, ParticipationStatus.Accepted),
                (laser, ParticipationStatus.Accepted),
            ],
            await ParticipantsAsync(id));

        var moved = await (await GatewayAsync()).MutateAsync("rescheduleAppointment", "RescheduleAppointmentInput",
            new { appointmentId = id, slotIds = new[] { c.SlotId(2) } }, "appointment { fhirId }");
        Assert.Empty(moved["errors"]!.AsArray());
        Assert.Equal(
            [
                ("Patient/" + a.Patient.Id, ParticipationStatus.Accepted),
                (surgeon, ParticipationStatus.NeedsAction),
                ("Location/" + c.Location.Id, ParticipationStatus.Accepted),
                ("HealthcareService/" + service, ParticipationStatus.Accepted),
            ],
            await ParticipantsAsync(id));

        // The device is free again at the old time, and taken by nobody at the new one: booking a schedule of it there works.
        var laserOnly = await BookingWorld.CreateAsync(Store, schedule: s => s.Actor = [new ResourceReference(laser)]);
        Assert.Empty((await BookAsync(laserOnly.SlotId(0), laserOnly.Patient.Id!))["errors"]!.AsArray());
        // The service now is taken at the new time on any schedule of it.
        var serviceToo = await BookingWorld.CreateAsync(Store, schedule: s => s.Actor.Add(new ResourceReference("HealthcareService/" + service)));
        Assert.Equal("SLOT_UNAVAILABLE", Str(await BookAsync(serviceToo.SlotId(2), serviceToo.Patient.Id!), "errors.0.code"));
    }

    private async Task<string> SharedActorAsync(string kind) => kind switch
    {
        "Practitioner" => "Practitioner/" + (await Store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Assistant" }] }, None)).Id,
        "Device" => "Device/" + (await Store.CreateAsync(new Device { DeviceName = [new Device.DeviceNameComponent { Name = "Laser", Type = DeviceNameType.UserFriendlyName }] }, None)).Id,
        _ => "Location/" + (await Store.CreateAsync(new Location { Name = "Shared room" }, None)).Id,
    };

    private async Task<List<(string Actor, ParticipationStatus Status)>> ParticipantsAsync(string appointmentId) =>
        [.. (await Store.ReadAsync<Appointment>(appointmentId, None))!.Participant.Select(p => (p.Actor?.Reference ?? "(none)", p.Status!.Value))];

    private async Task<List<string>> OfferedAsync(BookingWorld world)
    {
        var response = await (await GatewayAsync()).QueryAsync(Availability, new
        {
            input = new { scheduleIds = new[] { world.Schedule.Id }, start = Iso(world.Slots[0].Start!.Value), end = Iso(world.Slots[^1].End!.Value) },
        });
        Assert.True(response["errors"] is null, response.ToJsonString());
        // The options' slot ids are global ids; the codec reads back the FHIR ids the world knows.
        return [.. response.At("data.availability.nodes")!.AsArray().Select(n => GlobalId.ReadFhirId(Str(n, "slotIds.0"), "Slot"))];
    }

    private async Task<JsonNode> BookAsync(string slotId, string patientId) =>
        await (await GatewayAsync()).MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { slotId }, patientId }, "appointment { fhirId }");

    private static string Iso(DateTimeOffset value) => GraphQLMutations.Iso(value);

    private static string Str(JsonNode? node, string path) => GraphQLMutations.Str(node, path);
}

public sealed class EmbeddedScheduleActorsTests(EmbeddedGatewayFixture fixture) : ScheduleActorsTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingScheduleActorsTests(MedplumFixture medplum) : ScheduleActorsTests(medplum.Compensating);

[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionScheduleActorsTests(MedplumFixture medplum) : ScheduleActorsTests(medplum.Transactions);

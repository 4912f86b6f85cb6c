using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Subscriptions;

/// <summary>Live updates with the reference graphql-ws client against the live gateway (embedded store).</summary>
public sealed class SubscriptionTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename } } }
        """;

    private GatewayServer Gateway => fixture.Gateway;

    [Fact]
    public async Task A_booking_and_its_cancellation_arrive_with_fields_resolved_through_DataLoaders()
    {
        var world = await BookingWorld.CreateAsync(Gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var before = Gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(Gateway.BaseAddress, """
            subscription($practitioner: ID!) {
              appointmentChanged(practitionerId: $practitioner) {
                kind appointmentId versionId occurredAt
                appointment { status patient { displayName } practitioners { fhirId } slots { fhirId status } }
              }
            }
            """, new { practitioner = world.Practitioner.Id }, count: 2, timeoutMs: 60000);
        await Gateway.UntilSubscribedAsync(before);

        var booked = await Gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var id = booked.At("data.bookAppointment.appointment.fhirId")!.GetValue<string>();
        // Nested fields are read when the event is resolved: cancel only once the first event is out.
        var first = await client.NextAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("next", first?.GetProperty("event").GetString());
        await Gateway.QueryAsync("mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"Changed plans\" }) { errors { __typename } } }", new { id });

        List<System.Text.Json.JsonElement> events = [first!.Value.GetProperty("data").GetProperty("data"), .. await client.CollectAsync(TimeSpan.FromSeconds(15))];
        Assert.Equal(["CREATED", "CANCELLED"], events.Select(e => e.GetProperty("appointmentChanged").GetProperty("kind").GetString()));
        var created = events[0].GetProperty("appointmentChanged");
        Assert.Equal(GlobalId.Encode("Appointment", id), created.GetProperty("appointmentId").GetString());
        Assert.Equal(world.Patient.Name[0].Given.First() + " " + world.Patient.Name[0].Family, created.GetProperty("appointment").GetProperty("patient").GetProperty("displayName").GetString());
        Assert.Equal("BUSY", created.GetProperty("appointment").GetProperty("slots")[0].GetProperty("status").GetString());
        var cancelled = events[1].GetProperty("appointmentChanged");
        Assert.NotEqual(created.GetProperty("versionId").GetString(), cancelled.GetProperty("versionId").GetString());
        // Resolved afresh for each event: the slot is free again in the second one.
        Assert.Equal("FREE", cancelled.GetProperty("appointment").GetProperty("slots")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_calendar_sees_its_schedules_slots_change_and_nothing_else()
    {
        var store = Gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var watched = await BookingWorld.CreateAsync(store);
        var other = await BookingWorld.CreateAsync(store);
        var before = Gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(Gateway.BaseAddress,
            "subscription($s: [ID!]!) { slotsChanged(scheduleIds: $s) { kind slotId slot { status schedule { fhirId } } } }",
            new { s = new[] { watched.Schedule.Id } }, count: 1);
        await Gateway.UntilSubscribedAsync(before);

        await Gateway.QueryAsync(Book, new { input = new { slotIds = new[] { other.SlotId(0) }, patientId = other.Patient.Id } });
        await Gateway.QueryAsync(Book, new { input = new { slotIds = new[] { watched.SlotId(1) }, patientId = watched.Patient.Id } });

        var change = Assert.Single(await client.CollectAsync(TimeSpan.FromSeconds(15))).GetProperty("slotsChanged");
        Assert.Equal(("UPDATED", GlobalId.Encode("Slot", watched.SlotId(1))), (change.GetProperty("kind").GetString(), change.GetProperty("slotId").GetString()));
        Assert.Equal("BUSY", change.GetProperty("slot").GetProperty("status").GetString());
        Assert.Equal(watched.Schedule.Id, change.GetProperty("slot").GetProperty("schedule").GetProperty("fhirId").GetString());
    }

    [Fact]
    public async Task Queries_and_mutations_run_over_the_socket_too()
    {
        await using var client = await GraphQLWsClient.SubscribeAsync(Gateway.BaseAddress, """{ practitioner(id: "alice-smith") { displayName } }""");
        var result = Assert.Single(await client.CollectAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("Dr. Alice Smith", result.GetProperty("practitioner").GetProperty("displayName").GetString());

        var world = await BookingWorld.CreateAsync(Gateway.Services.GetRequiredService<InMemoryFhirStore>());
        await using var mutation = await GraphQLWsClient.SubscribeAsync(Gateway.BaseAddress, Book,
            new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var booked = Assert.Single(await mutation.CollectAsync(TimeSpan.FromSeconds(10)));
        Assert.NotNull(booked.GetProperty("bookAppointment").GetProperty("appointment").GetProperty("fhirId").GetString());
    }

    [Fact]
    public async Task The_schedule_filter_follows_the_appointments_slots()
    {
        var store = Gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var watched = await BookingWorld.CreateAsync(store);
        var other = await BookingWorld.CreateAsync(store);
        var before = Gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(Gateway.BaseAddress,
            "subscription($s: ID!) { appointmentChanged(scheduleId: $s) { kind appointment { slots { fhirId } } } }",
            new { s = watched.Schedule.Id }, count: 1);
        await Gateway.UntilSubscribedAsync(before);

        await Gateway.QueryAsync(Book, new { input = new { slotIds = new[] { other.SlotId(0) }, patientId = other.Patient.Id } });
        await Gateway.QueryAsync(Book, new { input = new { slotIds = new[] { watched.SlotId(2) }, patientId = watched.Patient.Id } });

        var change = Assert.Single(await client.CollectAsync(TimeSpan.FromSeconds(15))).GetProperty("appointmentChanged");
        Assert.Equal(watched.SlotId(2), change.GetProperty("appointment").GetProperty("slots")[0].GetProperty("fhirId").GetString());
    }
}

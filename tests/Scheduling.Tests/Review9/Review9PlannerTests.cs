using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Xunit.Abstractions;

namespace Scheduling.Tests.Review9;

/// <summary>Review9: nested planned lists (practitioner → schedules(filter) → slots(where) → appointments → patient) never hand a patient another's data, and show the scheduler the same as unplanned.</summary>
public sealed class Review9PlannerTests(ITestOutputHelper output)
{
    private const string Query = """
        query($id: ID!, $from: DateTime!) { practitioner(id: $id) { schedules(active: true) { nodes { fhirId
          slots(where: { start: { gte: $from } }, first: 3) { nodes { fhirId appointments { nodes { fhirId patient { fhirId } } } } }
          unfiltered: slots { nodes { fhirId appointments { nodes { fhirId patient { fhirId } } } } } } } } }
        """;

    [Fact]
    public async Task A_patient_sees_no_other_patients_appointment_through_nested_planned_lists()
    {
        await using var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings());
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 4);
        var booked = await gateway.MutateAsync("bookAppointment", "BookAppointmentInput",
            new { time = new { slotIds = new[] { world.SlotId(0) } }, patientId = world.OtherPatient.Id }, "appointment { fhirId }", TestTokens.Scheduler());
        output.WriteLine(booked.ToJsonString());
        var vars = new { id = world.Practitioner.Id, from = world.Slots[0].Start!.Value.AddMinutes(-1).ToString("O") };

        var asScheduler = await gateway.QueryAsync(Query, vars, TestTokens.Scheduler());
        output.WriteLine("scheduler: " + asScheduler.ToJsonString());
        var asPatient = await gateway.QueryAsync(Query, vars, TestTokens.Patient(world.Patient.Id!));
        output.WriteLine("patient: " + asPatient.ToJsonString());

        Assert.Contains(world.OtherPatient.Id!, asScheduler.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(world.OtherPatient.Id!, asPatient.ToJsonString(), StringComparison.Ordinal);
    }
}

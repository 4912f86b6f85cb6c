using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Subscriptions;

/// <summary>Changes made on the FHIR server directly, behind the gateway's back, reach subscribers too.</summary>
[Collection(MedplumCollection.Name)]
public sealed class ChangeFeedTests(MedplumFixture medplum)
{
    private const string Watch = """
        subscription($id: ID!) { appointmentChanged(appointmentId: $id) { kind versionId appointment { status comment } } }
        """;

    [Fact]
    public async Task A_change_made_directly_on_the_FHIR_server_arrives()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("ChangeFeed:PollSeconds", "1")));
        var world = await BookingWorld.CreateAsync(medplum.Store);
        var appointment = await medplum.Store.CreateAsync(new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Slot = [new ResourceReference("Slot/" + world.SlotId(0))],
            Participant = [new() { Actor = new ResourceReference("Patient/" + world.Patient.Id), Status = ParticipationStatus.Accepted }],
        }, CancellationToken.None);

        var before = gateway.Listeners();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, Watch, new { id = appointment.Id }, count: 1);
        await gateway.UntilListeningAsync(before);

        // Another system changes the appointment on the FHIR server itself.
        appointment.Comment = "Changed in the EHR";
        var changed = await medplum.Store.UpdateAsync(appointment, appointment.Meta!.VersionId, CancellationToken.None);

        var change = Assert.Single(await client.CollectAsync(TimeSpan.FromSeconds(15))).GetProperty("appointmentChanged");
        Assert.Equal(changed.Meta!.VersionId, change.GetProperty("versionId").GetString());
        Assert.Equal("Changed in the EHR", change.GetProperty("appointment").GetProperty("comment").GetString());
    }

    [Fact]
    public async Task A_version_that_arrives_both_from_the_gateway_and_the_feed_is_delivered_once()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("ChangeFeed:PollSeconds", "1")));
        var world = await BookingWorld.CreateAsync(medplum.Store);
        var before = gateway.Listeners();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress,
            "subscription($p: ID!) { appointmentChanged(patientId: $p) { kind versionId } }", new { p = world.Patient.Id }, count: 3, timeoutMs: 6000);
        await gateway.UntilListeningAsync(before);

        var booked = await gateway.QueryAsync(
            "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } } }",
            new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the feed polls twice meanwhile and finds the same version
        await gateway.QueryAsync(
            "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"x\" }) { errors { __typename } } }",
            new { id = booked.At("data.bookAppointment.appointment.id")!.GetValue<string>() });

        var events = await client.CollectAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["CREATED", "CANCELLED"], events.Select(e => e.GetProperty("appointmentChanged").GetProperty("kind").GetString()));
    }
}

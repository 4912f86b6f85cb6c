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

        var before = gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, Watch, new { id = appointment.Id }, count: 1);
        await gateway.UntilSubscribedAsync(before);

        // Another system changes the appointment on the FHIR server itself.
        appointment.Comment = "Changed in the EHR";
        var changed = await medplum.Store.UpdateAsync(appointment, appointment.Meta!.VersionId, CancellationToken.None);

        var change = Assert.Single(await client.CollectAsync(TimeSpan.FromSeconds(15))).GetProperty("appointmentChanged");
        Assert.Equal(changed.Meta!.VersionId, change.GetProperty("versionId").GetString());
        Assert.Equal("Changed in the EHR", change.GetProperty("appointment").GetProperty("comment").GetString());
    }

    [Fact]
    public async Task A_rest_hook_notification_with_the_shared_secret_brings_the_change_at_once()
    {
        // No polling: only the rest-hook can make this gateway look.
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("ChangeFeed:PollSeconds", "0"), ("ChangeFeed:RestHookSecret", "s3cret")));
        var world = await BookingWorld.CreateAsync(medplum.Store);
        var appointment = await medplum.Store.CreateAsync(new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Participant = [new() { Actor = new ResourceReference("Patient/" + world.Patient.Id), Status = ParticipationStatus.Accepted }],
        }, CancellationToken.None);
        var before = gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, Watch, new { id = appointment.Id }, count: 2);
        await gateway.UntilSubscribedAsync(before);

        appointment.Comment = "First change";
        appointment = await medplum.Store.UpdateAsync(appointment, appointment.Meta!.VersionId, CancellationToken.None);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/fhir/rest-hook") { Headers = { { "Authorization", "Bearer nope" } } };
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await gateway.Client.SendAsync(wrong)).StatusCode);
        using var empty = new HttpRequestMessage(HttpMethod.Post, "/fhir/rest-hook") { Headers = { { "Authorization", "Bearer s3cret" } } };
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await gateway.Client.SendAsync(empty)).StatusCode);
        var first = await client.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("First change", first!.Value.GetProperty("data").GetProperty("data").GetProperty("appointmentChanged").GetProperty("appointment").GetProperty("comment").GetString());

        appointment.Comment = "Second change";
        appointment = await medplum.Store.UpdateAsync(appointment, appointment.Meta!.VersionId, CancellationToken.None);
        using var withResource = new HttpRequestMessage(HttpMethod.Put, "/fhir/rest-hook/Appointment/" + appointment.Id)
        {
            Headers = { { "Authorization", "Bearer s3cret" } },
            Content = new StringContent(Hl7.Fhir.Serialization.JsonSerializationExtensions.SerializeToString(new Hl7.Fhir.Serialization.FhirJsonSerializer(), appointment), System.Text.Encoding.UTF8, "application/fhir+json"),
        };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await gateway.Client.SendAsync(withResource)).StatusCode);
        var second = await client.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(appointment.Meta!.VersionId, second!.Value.GetProperty("data").GetProperty("data").GetProperty("appointmentChanged").GetProperty("versionId").GetString());
    }

    [Fact]
    public async Task A_rest_hook_notification_announces_what_the_FHIR_server_has_never_the_posted_body()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("ChangeFeed:PollSeconds", "0"), ("ChangeFeed:RestHookSecret", "s3cret")));
        var world = await BookingWorld.CreateAsync(medplum.Store);
        var patient = new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + world.Patient.Id), Status = ParticipationStatus.Accepted };
        var real = await medplum.Store.CreateAsync(new Appointment { Status = Appointment.AppointmentStatus.Booked, Comment = "Real", Participant = [patient] }, CancellationToken.None);
        var before = gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress,
            "subscription($p: ID!) { appointmentChanged(patientId: $p) { versionId appointment { fhirId status comment participants { actor { __typename } } } } }",
            new { p = world.Patient.Id }, count: 1);
        await gateway.UntilSubscribedAsync(before);

        // Whoever has the secret posts an appointment FHIR never had, and the real one with its status, participants,
        // comment and version made up.
        var ghost = new Appointment { Id = "forged-" + Guid.NewGuid().ToString("N")[..8], Status = Appointment.AppointmentStatus.Booked, Comment = "Ghost", Participant = [patient], Meta = new Meta { VersionId = "1" } };
        var forged = (Appointment)real.DeepCopy();
        forged.Status = Appointment.AppointmentStatus.Cancelled;
        forged.Comment = "Forged";
        forged.Participant.Add(new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/" + world.Practitioner.Id), Status = ParticipationStatus.Accepted });
        forged.Meta!.VersionId = "999";
        var notification = new Bundle { Type = Bundle.BundleType.History, Entry = [new() { Resource = ghost }, new() { Resource = forged }] };
        using var post = new HttpRequestMessage(HttpMethod.Post, "/fhir/rest-hook")
        {
            Headers = { { "Authorization", "Bearer s3cret" } },
            Content = new StringContent(Hl7.Fhir.Serialization.JsonSerializationExtensions.SerializeToString(new Hl7.Fhir.Serialization.FhirJsonSerializer(), notification), System.Text.Encoding.UTF8, "application/fhir+json"),
        };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await gateway.Client.SendAsync(post)).StatusCode);

        var change = Assert.Single(await client.CollectAsync(TimeSpan.FromSeconds(10))).GetProperty("appointmentChanged");
        Assert.Equal(real.Meta!.VersionId, change.GetProperty("versionId").GetString());
        var appointment = change.GetProperty("appointment");
        Assert.Equal((real.Id, "BOOKED", "Real", 1), (appointment.GetProperty("fhirId").GetString(), appointment.GetProperty("status").GetString(),
            appointment.GetProperty("comment").GetString(), appointment.GetProperty("participants").GetArrayLength()));
    }

    [Fact]
    public async Task A_version_that_arrives_both_from_the_gateway_and_the_feed_is_delivered_once()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("ChangeFeed:PollSeconds", "1")));
        var world = await BookingWorld.CreateAsync(medplum.Store);
        var before = gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress,
            "subscription($p: ID!) { appointmentChanged(patientId: $p) { kind versionId } }", new { p = world.Patient.Id }, count: 3, timeoutMs: 6000);
        await gateway.UntilSubscribedAsync(before);

        var booked = await gateway.QueryAsync(
            "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } } }",
            new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the feed polls twice meanwhile and finds the same version
        await gateway.QueryAsync(
            "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"x\" }) { errors { __typename } } }",
            new { id = booked.At("data.bookAppointment.appointment.fhirId")!.GetValue<string>() });

        var events = await client.CollectAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["CREATED", "CANCELLED"], events.Select(e => e.GetProperty("appointmentChanged").GetProperty("kind").GetString()));
    }
}

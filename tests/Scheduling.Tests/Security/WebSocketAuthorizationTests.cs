using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Subscriptions;

namespace Scheduling.Tests.Security;

/// <summary>
/// The same rules over graphql-transport-ws, with the reference graphql-ws client: the token travels in
/// connection_init's payload, a connection without a valid one is refused with 4403, and each subscriber hears
/// only of what they may see.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class WebSocketAuthorizationTests(MedplumFixture medplum)
{
    private const string Book = """
        mutation($slot: ID!, $patient: ID!) { bookAppointment(input: { slotIds: [$slot], patientId: $patient }) { appointment { id } } }
        """;

    private const string AnyAppointment = "subscription { appointmentChanged { kind appointmentId appointment { id patient { fhirId } } } }";

    private Task<GatewayServer> GatewayAsync() => medplum.GatewayAsync(
        [.. TestTokens.Settings, ("ChangeFeed:PollSeconds", "0"), ("WebSockets:KeepAliveSeconds", "0")]);

    [Fact]
    public async Task A_connection_without_a_valid_token_is_refused_with_4403()
    {
        var gateway = await GatewayAsync();
        var forged = TestTokens.Issue("another-key-that-is-at-least-32-bytes", DateTime.UtcNow.AddMinutes(10), ("role", "admin"));
        foreach (var connectionParams in new object?[] { null, new { Authorization = "Bearer " + forged }, new { token = "garbage" } })
        {
            await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, AnyAppointment, connectionParams: connectionParams, timeoutMs: 10000);
            Assert.Equal("error", client.First.GetProperty("event").GetString());
            Assert.Equal(4403, client.First.GetProperty("code").GetInt32());
        }
    }

    [Fact]
    public async Task Subscribers_hear_only_of_appointments_they_may_see()
    {
        var gateway = await GatewayAsync();
        var a = await BookingWorld.CreateAsync(medplum.Store);
        var b = await BookingWorld.CreateAsync(medplum.Store);
        var before = gateway.Subscribers();
        await using var patient = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, AnyAppointment,
            connectionParams: new { Authorization = "Bearer " + TestTokens.Patient(a.Patient.Id!) }, count: 1);
        await using var practitioner = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, AnyAppointment,
            connectionParams: new { token = TestTokens.Practitioner(b.Practitioner.Id!) }, count: 1);
        // Asking for another patient by filter widens nothing: the caller's own rules still apply.
        await using var prying = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress,
            "subscription($p: ID!) { appointmentChanged(patientId: $p) { appointmentId } }", new { p = a.OtherPatient.Id },
            connectionParams: new { Authorization = "Bearer " + TestTokens.Patient(a.Patient.Id!) }, count: 1, timeoutMs: 8000);
        await gateway.UntilSubscribedAsync(before, 3);
        Assert.All(new[] { patient, practitioner, prying }, c => Assert.Equal("connected", c.First.GetProperty("event").GetString()));

        var scheduler = TestTokens.Scheduler();
        // Events the subscribers must not hear of come first.
        await gateway.QueryAsync(Book, new { slot = a.SlotId(0), patient = a.OtherPatient.Id }, scheduler);
        var patientsOwn = (await gateway.QueryAsync(Book, new { slot = a.SlotId(1), patient = a.Patient.Id }, scheduler)).At("data.bookAppointment.appointment.id")!.GetValue<string>();
        var practitionersOwn = (await gateway.QueryAsync(Book, new { slot = b.SlotId(0), patient = b.Patient.Id }, scheduler)).At("data.bookAppointment.appointment.id")!.GetValue<string>();

        var patientEvents = await patient.CollectAsync(TimeSpan.FromSeconds(15));
        Assert.Equal([patientsOwn], patientEvents.Select(e => e.GetProperty("appointmentChanged").GetProperty("appointmentId").GetString()));
        Assert.Equal(a.Patient.Id, patientEvents[0].GetProperty("appointmentChanged").GetProperty("appointment").GetProperty("patient").GetProperty("fhirId").GetString());
        var practitionerEvents = await practitioner.CollectAsync(TimeSpan.FromSeconds(15));
        Assert.Equal([practitionersOwn], practitionerEvents.Select(e => e.GetProperty("appointmentChanged").GetProperty("appointmentId").GetString()));
        Assert.Equal(b.Patient.Id, practitionerEvents[0].GetProperty("appointmentChanged").GetProperty("appointment").GetProperty("patient").GetProperty("fhirId").GetString());
        Assert.Empty(await prying.CollectAsync(TimeSpan.FromSeconds(10)));
    }
}

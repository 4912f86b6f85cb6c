using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;

namespace Scheduling.Tests.Clients;

/// <summary>
/// Over HTTP on the embedded store, with signed tokens: a denial, a missing resource, a refused transition and an
/// unreachable FHIR server come back inside the mutation's payload with their typed fields, never as top-level
/// errors with <c>data: null</c>.
/// </summary>
public sealed class MutationPayloadErrorTests : IAsyncLifetime
{
    // Through a fragment on Error: spreading a type straight into a union it is not a member of is a validation error.
    private const string Errors = "errors { __typename ...E }";

    private const string ErrorFragment = """

        fragment E on Error {
          code message
          ... on NotFoundError { resourceType resourceId }
          ... on InvalidTransitionError { from to }
          ... on ServiceUnavailableError { retryable }
        }
        """;

    private GatewayServer _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings());

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_denial_is_a_ForbiddenError_in_the_payload()
    {
        var world = await BookingWorld.CreateAsync(_gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var answer = await _gateway.QueryAsync(
            "mutation($slot: ID!, $patient: ID!) { bookAppointment(input: { slotIds: [$slot], patientId: $patient, clientMutationId: \"k1\" }) { appointment { id } clientMutationId " + Errors + " } }" + ErrorFragment,
            new { slot = world.SlotId(0), patient = world.OtherPatient.Id }, TestTokens.Patient(world.Patient.Id!));

        Assert.True(answer["errors"] is null, answer.ToJsonString());
        var payload = answer.At("data.bookAppointment")!;
        Assert.Null(payload["appointment"]);
        Assert.Equal("k1", payload["clientMutationId"]!.GetValue<string>());
        var error = Assert.Single(payload["errors"]!.AsArray())!;
        Assert.Equal(("ForbiddenError", "FORBIDDEN"), (error["__typename"]!.GetValue<string>(), error["code"]!.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_missing_appointment_is_a_NotFoundError_in_the_payload()
    {
        var answer = await _gateway.QueryAsync(
            "mutation { cancelAppointment(input: { appointmentId: \"no-such-appointment\", reason: \"x\" }) { appointment { id } " + Errors + " } }" + ErrorFragment,
            bearerToken: TestTokens.Scheduler());

        Assert.Null(answer["errors"]);
        var error = Assert.Single(answer.At("data.cancelAppointment.errors")!.AsArray())!;
        Assert.Equal(("NotFoundError", "NOT_FOUND"), (error["__typename"]!.GetValue<string>(), error["code"]!.GetValue<string>()));
        Assert.Equal(("Appointment", GlobalId.Encode("Appointment", "no-such-appointment")), (error["resourceType"]!.GetValue<string>(), error["resourceId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_refused_transition_is_an_InvalidTransitionError_with_the_schemas_status_enum()
    {
        var world = await BookingWorld.CreateAsync(_gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var scheduler = TestTokens.Scheduler();
        var booked = await _gateway.QueryAsync(
            "mutation($slot: ID!, $patient: ID!) { bookAppointment(input: { slotIds: [$slot], patientId: $patient }) { appointment { id } " + Errors + " } }" + ErrorFragment,
            new { slot = world.SlotId(0), patient = world.Patient.Id }, scheduler);
        var id = booked.At("data.bookAppointment.appointment.id")?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException(booked.ToJsonString());
        var cancel = "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"Changed plans\" }) { appointment { status } " + Errors + " } }" + ErrorFragment;
        Assert.Equal("CANCELLED", (await _gateway.QueryAsync(cancel, new { id }, scheduler)).At("data.cancelAppointment.appointment.status")!.GetValue<string>());

        var answer = await _gateway.QueryAsync(
            "mutation($id: ID!) { changeAppointmentStatus(input: { appointmentId: $id, status: NOSHOW }) { appointment { id } " + Errors + " } }" + ErrorFragment,
            new { id }, scheduler);

        Assert.Null(answer["errors"]);
        var error = Assert.Single(answer.At("data.changeAppointmentStatus.errors")!.AsArray())!;
        Assert.Equal(("InvalidTransitionError", "INVALID_TRANSITION"), (error["__typename"]!.GetValue<string>(), error["code"]!.GetValue<string>()));
        Assert.Equal(("CANCELLED", "NOSHOW"), (error["from"]!.GetValue<string>(), error["to"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_unreachable_FHIR_server_is_a_retryable_ServiceUnavailableError_in_the_payload()
    {
        var settings = TestTokens.GatewaySettings();
        settings["Fhir:BaseUrl"] = $"http://127.0.0.1:{ClosedPort()}/fhir";
        settings["Fhir:RetryCount"] = "0";
        await using var gateway = await GatewayServer.StartAsync(settings);

        var answer = await gateway.QueryAsync(
            "mutation { cancelAppointment(input: { appointmentId: \"a1\", reason: \"x\" }) { appointment { id } " + Errors + " } }" + ErrorFragment,
            bearerToken: TestTokens.Scheduler());

        Assert.Null(answer["errors"]);
        var error = Assert.Single(answer.At("data.cancelAppointment.errors")!.AsArray())!;
        Assert.Equal(("ServiceUnavailableError", "SERVICE_UNAVAILABLE"), (error["__typename"]!.GetValue<string>(), error["code"]!.GetValue<string>()));
        Assert.True(error["retryable"]!.GetValue<bool>());
        Assert.DoesNotContain("127.0.0.1", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

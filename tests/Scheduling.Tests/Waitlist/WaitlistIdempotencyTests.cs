using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using static Scheduling.Testing.GraphQLMutations;
using static Scheduling.Tests.Waitlist.WaitlistSteps;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// joinWaitlist is idempotent by clientMutationId as bookAppointment is: a retry returns the entry made (one entry
/// in FHIR, not two places in line); the same key for another request is a ValidationError (rule idempotency-key).
/// </summary>
public sealed class WaitlistIdempotencyTests
{
    private const string JoinWithErrors = "mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) { entry { appointment { fhirId } } errors { __typename ... on ValidationError { field rule } } } }";

    [Fact]
    public async Task A_retried_join_returns_the_same_entry_and_the_key_reused_for_another_request_is_refused()
    {
        await using var gateway = await GatewayServer.StartAsync();
        IFhirStore store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        object Input(int durationMinutes) => new
        {
            patientId = world.Patient.Id,
            practitionerId = world.Practitioner.Id,
            windows = new[] { new { start = "2099-01-01T09:00:00.250Z", end = "2099-01-01T17:00:00Z" } },
            durationMinutes,
            clientMutationId = "join-1",
        };

        var first = Str(await gateway.QueryAsync(JoinWithErrors, new { input = Input(30) }), "data.joinWaitlist.entry.appointment.fhirId");
        var retried = Str(await gateway.QueryAsync(JoinWithErrors, new { input = Input(30) }), "data.joinWaitlist.entry.appointment.fhirId");
        Assert.Equal(first, retried);
        var entries = await store.SearchAllAsync<Appointment>(
            AppointmentSearches.NarrowedTo(WaitlistSearches.Waiting(), FhirReference.For<Patient>(world.Patient.Id!)), CancellationToken.None);
        Assert.Equal([first], entries.Select(e => e.Id));

        var reused = await gateway.QueryAsync(JoinWithErrors, new { input = Input(45) });
        Assert.Equal("ValidationError", reused.At("data.joinWaitlist.errors.0.__typename")?.GetValue<string>());
        Assert.Equal("idempotency-key", reused.At("data.joinWaitlist.errors.0.rule")?.GetValue<string>());
        Assert.Single(await store.SearchAllAsync<Appointment>(
            AppointmentSearches.NarrowedTo(WaitlistSearches.Waiting(), FhirReference.For<Patient>(world.Patient.Id!)), CancellationToken.None));
    }
}

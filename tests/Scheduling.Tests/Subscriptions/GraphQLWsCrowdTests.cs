using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// The reference-client crowd (tests/peers/graphql-ws-many.mjs, <see cref="GraphQLWsCrowd"/>) hands the test every
/// result it printed, however late the test reads them. Node writes stdout to a pipe asynchronously and
/// <c>process.exit()</c> drops what the pipe (64 KiB) has not taken yet: a crowd that was done and exited at once lost
/// its last lines when the test read late, as a loaded machine makes it (MedplumFanOutTests' "only 176 of 200
/// subscribers got the event": 176 result lines fill the pipe). The peer scripts now exit once their lines are out
/// (tests/peers/lines.mjs).
/// </summary>
public sealed class GraphQLWsCrowdTests
{
    private const string Watch = """
        subscription($p: ID!) {
          appointmentChanged(practitionerId: $p) {
            kind appointmentId
            appointment { status start end patient { displayName } practitioners { displayName } slots { fhirId status start end } }
          }
        }
        """;

    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } } }
        """;

    [Fact]
    public async Task A_crowd_read_late_still_hands_over_every_result_beyond_what_a_pipe_holds()
    {
        const int clients = 200;
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>(TestTokens.GatewaySettings()) { ["GraphQL:RateLimitPerSecond"] = "0" });
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var watchers = Enumerable.Range(0, clients).Select(_ => ((object?)new { Authorization = "Bearer " + TestTokens.Scheduler() }, true)).ToList();
        var before = gateway.Subscribers();
        await using var crowd = await GraphQLWsCrowd.SubscribeAsync(gateway.BaseAddress, Watch, new { p = world.Practitioner.Id }, watchers);
        await gateway.UntilSubscribedAsync(before, clients);

        var booked = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } }, TestTokens.Scheduler());
        Assert.NotNull(booked.At("data.bookAppointment.appointment.fhirId"));
        // The test reads late: once the crowd has ended, or after a while (a crowd that waits for its reader does not end).
        var ended = await crowd.ExitedWithinAsync(TimeSpan.FromSeconds(5));

        var (results, done) = await crowd.CollectAsync(TimeSpan.FromSeconds(30));
        var printed = results.Values.SelectMany(r => r).Sum(r => r.GetRawText().Length);
        Assert.True(done, $"the test read {results.Count} of {clients} results ({printed} bytes) and then {crowd.Ending ?? "silence"}; " +
            $"the crowd had {(ended ? "exited" : "not exited")} before the test read");
        Assert.Equal(clients, results.Count);
        Assert.All(results.Values, r => Assert.Equal("BUSY", Assert.Single(r).GetProperty("data").GetProperty("appointmentChanged").GetProperty("appointment").GetProperty("slots")[0].GetProperty("status").GetString()));
        Assert.True(printed > 64 * 1024, $"the crowd printed {printed} bytes, no more than a pipe holds: nothing was at stake");
    }
}

using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using Xunit.Abstractions;

namespace Scheduling.Tests.Planning;

/// <summary>
/// Issue 14's upcoming screen on Medplum's engine: the patient's read and the search of the patient's appointments go
/// out together (the second arrives while the first is in flight, by Medplum's own request log), and the request count
/// is the planner's (no search twice: the appointments field found the prefetched key), answering as level by level.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class ChildListPrefetchMedplumTests(MedplumFixture medplum, ITestOutputHelper output)
{
    private const string Upcoming = """
        query Upcoming($id: ID!, $from: DateTime!) {
          patient(id: $id) { displayName
            appointments(where: { date: { gte: $from } }, first: 50) { nodes { start status practitioners { displayName } location { name } } } } }
        """;

    [Fact]
    public async Task The_upcoming_screen_reads_the_patient_and_searches_the_appointments_at_once_with_no_request_more()
    {
        var seed = await MedplumPracticeSeed.CreateAsync(medplum.Store, 20, "Upcoming" + Guid.NewGuid().ToString("N")[..6]);
        var variables = new { id = seed.Patients[1].Id, from = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        var on = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "On"), ("Cache:Enabled", "false")]);
        var off = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "Off"), ("Cache:Enabled", "false")]);
        var token = TestTokens.Scheduler();

        // Wide enough that two requests sent at once are both in flight when the second arrives.
        await medplum.Server.LatencyAsync(100);
        try
        {
            var expected = await off.QueryAsync(Upcoming, variables, token);
            await medplum.Server.ResetCountsAsync();
            using var response = await on.PostAsync(Upcoming, variables, bearerToken: token);
            var answer = await response.Content.ReadAsStringAsync();
            var arrivals = await medplum.Server.ArrivalsAsync();
            output.WriteLine($"Server-Timing: {string.Join(", ", response.Headers.GetValues("Server-Timing"))}\n  " +
                string.Join("\n  ", arrivals.Select(a => $"{a.InFlight} in flight on arrival: {a.Request}")));

            Assert.Equal(expected.ToJsonString(), System.Text.Json.Nodes.JsonNode.Parse(answer)!.ToJsonString());
            Assert.Equal(2, arrivals.Count);
            var patient = Assert.Single(arrivals, a => a.Request.StartsWith("GET Patient?", StringComparison.Ordinal));
            var appointments = Assert.Single(arrivals, a => a.Request.StartsWith("GET Appointment?", StringComparison.Ordinal));
            Assert.Contains("_include=Appointment:practitioner", appointments.Request, StringComparison.Ordinal);
            Assert.True(patient.InFlight + appointments.InFlight >= 1, "the patient's read and the appointments' search went out one after the other");
        }
        finally
        {
            await medplum.Server.LatencyAsync(0);
        }
    }
}

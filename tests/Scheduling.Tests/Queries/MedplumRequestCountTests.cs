using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Tests.Booking;
using Scheduling.Tests.Fhir;
using Scheduling.Testing;
using Xunit.Abstractions;

namespace Scheduling.Tests.Queries;

/// <summary>
/// How many FHIR requests a nested query costs, counted by Medplum's server itself: batched DataLoaders against
/// the naive resolver-per-item count (the same gateway with <c>DataLoading:Batching=false</c>).
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumRequestCountTests(MedplumFixture medplumFixture, ITestOutputHelper output)
{
    private readonly MedplumServer medplum = medplumFixture.Server;

    private const string WeekViewQuery = """
        query($id: ID!) {
          schedule(id: $id) {
            id
            slots(first: 1000) {
              totalCount
              nodes {
                id start status
                appointments { nodes { id status patients { id displayName } practitioners { id displayName } } }
              }
            }
          }
        }
        """;

    [Fact]
    public async Task One_schedule_its_100_slots_their_appointments_patients_and_practitioners_cost_at_most_5_requests()
    {
        var seed = await SeedAsync(100);
        await using var gateway = await GatewayServer.StartAsync(Settings(batching: true));

        await medplum.ResetCountsAsync();
        var response = await gateway.QueryAsync(WeekViewQuery, new { id = seed.Schedule.Id });
        var requests = await medplum.RequestsAsync();
        output.WriteLine($"batched: {requests.Count} FHIR requests\n  " + string.Join("\n  ", requests.Select(Shorten)));

        Assert.Null(response["errors"]);
        var slots = response.At("data.schedule.slots.nodes")!.AsArray();
        Assert.Equal(100, slots.Count);
        Assert.All(slots, slot =>
        {
            var appointment = Assert.Single(slot.At("appointments.nodes")!.AsArray())!;
            Assert.StartsWith("Patient", Assert.Single(appointment["patients"]!.AsArray())!["displayName"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(2, appointment["practitioners"]!.AsArray().Count);
        });
        Assert.True(requests.Count <= 5, $"expected at most 5 FHIR requests, got {requests.Count}");
        Assert.Single(requests, r => r.StartsWith("GET Appointment?", StringComparison.Ordinal) && r.Contains("slot=Slot/", StringComparison.Ordinal));
    }

    /// <summary>
    /// The query planner (<c>Fhir:Includes=On</c>) sends the week view as one search with includes and primes the
    /// DataLoaders from it, each appointment's <c>patients</c> included: that field answers every patient participant,
    /// exactly what <c>_include=Appointment:patient</c> brings (Navigations' Answers.All; <c>patient</c>, the first one,
    /// would cost a Patient read by id more: PlannerRequestCountTests). Switched off, the same answer costs the
    /// DataLoaders' one request per level.
    /// </summary>
    [Fact]
    public async Task With_the_query_planner_the_week_view_costs_one_search_and_answers_the_same()
    {
        var seed = await SeedAsync(100);
        var counts = new Dictionary<string, int>();
        var answers = new Dictionary<string, string>();
        foreach (var includes in new[] { "On", "Off" })
        {
            var settings = Settings(batching: true);
            settings["Fhir:Includes"] = includes;
            await using var gateway = await GatewayServer.StartAsync(settings);

            await medplum.ResetCountsAsync();
            var response = await gateway.QueryAsync(WeekViewQuery, new { id = seed.Schedule.Id });
            var requests = await medplum.RequestsAsync();
            output.WriteLine($"includes {includes}: {requests.Count} FHIR requests\n  " + string.Join("\n  ", requests.Select(Shorten)));

            Assert.Null(response["errors"]);
            Assert.Equal(100, response.At("data.schedule.slots.nodes")!.AsArray().Count);
            counts[includes] = requests.Count;
            answers[includes] = response.ToJsonString();
            if (includes == "On")
            {
                Assert.DoesNotContain(requests, r => r.StartsWith("GET Patient?", StringComparison.Ordinal));
            }
        }

        Assert.Equal(1, counts["On"]);
        Assert.Equal(5, counts["Off"]);
        Assert.Equal(answers["Off"], answers["On"]);
    }

    [Fact]
    public async Task The_count_stays_flat_as_the_data_grows_while_the_naive_count_grows_with_it()
    {
        var small = await SeedAsync(10);
        var large = await SeedAsync(60);
        await using var batched = await GatewayServer.StartAsync(Settings(batching: true));
        await using var naive = await GatewayServer.StartAsync(Settings(batching: false));

        var counts = new Dictionary<string, int>();
        foreach (var (name, gateway) in new[] { ("batched", batched), ("naive", naive) })
        {
            foreach (var seed in new[] { small, large })
            {
                await medplum.ResetCountsAsync();
                var response = await gateway.QueryAsync(WeekViewQuery, new { id = seed.Schedule.Id });
                Assert.Null(response["errors"]);
                Assert.Equal(seed.Slots.Count, response.At("data.schedule.slots.nodes")!.AsArray().Count);
                counts[$"{name}/{seed.Slots.Count}"] = (await medplum.RequestsAsync()).Count;
            }
        }

        output.WriteLine(string.Join("\n", counts.Select(c => $"{c.Key} slots: {c.Value} FHIR requests")));
        Assert.Equal(counts["batched/10"], counts["batched/60"]);
        Assert.True(counts["batched/60"] <= 5);
        // Naive: schedule + slots + per slot (appointments) + per appointment (its patient + 2 practitioners).
        Assert.Equal(2 + (60 * 4), counts["naive/60"]);
        Assert.Equal(2 + (10 * 4), counts["naive/10"]);
    }

    [Fact]
    public async Task Batched_lookups_are_split_when_they_exceed_the_values_per_search_limit_and_still_follow_every_page()
    {
        var seed = await SeedAsync(45);
        var settings = Settings(batching: true);
        settings["Fhir:MaxValuesPerSearch"] = "20";
        settings["Fhir:PageSize"] = "10";
        await using var gateway = await GatewayServer.StartAsync(settings);

        await medplum.ResetCountsAsync();
        var response = await gateway.QueryAsync(WeekViewQuery, new { id = seed.Schedule.Id });
        var requests = await medplum.RequestsAsync();
        output.WriteLine(string.Join("\n", requests.Select(Shorten)));

        Assert.Null(response["errors"]);
        Assert.Equal(45, response.At("data.schedule.slots.nodes")!.AsArray().Count);
        Assert.All(response.At("data.schedule.slots.nodes")!.AsArray(), s => Assert.Single(s.At("appointments.nodes")!.AsArray()));
        // 45 slot references in chunks of 20 make 3 appointment searches; 10 per page makes several pages each.
        var appointmentSearches = requests.Where(r => r.StartsWith("GET Appointment?", StringComparison.Ordinal) && r.Contains("slot=Slot/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, appointmentSearches.Select(r => r.Split("&_offset")[0]).Distinct().Count());
        Assert.Contains(appointmentSearches, r => r.Contains("_offset=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mutation_payload_resolves_through_the_same_batched_DataLoaders()
    {
        await using var services = FhirStores.Rest(medplum.FhirBaseUrl);
        var store = services.GetRequiredService<IFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 3);
        await using var gateway = await GatewayServer.StartAsync(Settings(batching: true));

        await medplum.ResetCountsAsync();
        var response = await gateway.QueryAsync("""
            mutation($input: BookAppointmentInput!) {
              bookAppointment(input: $input) {
                appointment {
                  status
                  slots { id status schedule { id } }
                  patient { displayName }
                  practitioners { displayName }
                  participants { actor { ... on Practitioner { displayName } ... on Patient { displayName } ... on Location { name } } }
                }
                errors { __typename }
              }
            }
            """, new { input = new { slotIds = world.Slots.Select(s => s.Id).ToArray(), patientId = world.Patient.Id } });
        var requests = await medplum.RequestsAsync();
        output.WriteLine(string.Join("\n", requests.Select(Shorten)));

        Assert.Null(response["errors"]);
        Assert.Equal("BOOKED", response.At("data.bookAppointment.appointment.status")!.GetValue<string>());
        Assert.All(response.At("data.bookAppointment.appointment.slots")!.AsArray(), s => Assert.Equal("BUSY", s!["status"]!.GetValue<string>()));
        // After the last write, the payload's reads: one search per type (3 slots, their schedule, patient,
        // practitioner and location), not one read per field.
        var lastWrite = requests.Select((r, i) => (r, i)).Last(x => !x.r.StartsWith("GET", StringComparison.Ordinal)).i;
        var payloadReads = requests.Skip(lastWrite + 1).ToList();
        Assert.Equal(payloadReads.Count, payloadReads.Select(r => r.Split('?')[0]).Distinct().Count());
        Assert.Single(payloadReads, r => r.StartsWith("GET Slot?", StringComparison.Ordinal) && r.Contains("_id=", StringComparison.Ordinal));
        Assert.True(payloadReads.Count <= 5, $"payload reads: {payloadReads.Count}");
    }

    /// <summary>Batching measured on its own: no cache, so a repeated read is a repeated request; no query planner (its
    /// counts are in PlannerRequestCountTests), so no includes and no CapabilityStatement read either.</summary>
    private Dictionary<string, string?> Settings(bool batching) =>
        medplumFixture.Settings(("DataLoading:Batching", batching ? "true" : "false"), ("Cache:Enabled", "false"), ("Fhir:Includes", "Off"));

    private async Task<MedplumPracticeSeed> SeedAsync(int slots)
    {
        await using var services = FhirStores.Rest(medplum.FhirBaseUrl);
        return await MedplumPracticeSeed.CreateAsync(services.GetRequiredService<IFhirStore>(), slots);
    }

    private static string Shorten(string request) => request.Length > 140 ? request[..140] + "…" : request;
}

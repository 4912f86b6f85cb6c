using System.Text.Json.Nodes;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using Xunit.Abstractions;

namespace Scheduling.Tests.Planning;

/// <summary>
/// The query planner on Medplum's engine, counted by Medplum's own request log, over a practice with group classes
/// (two patients, two rooms): the issue's screens cost one FHIR request each with includes (the week view selecting
/// every patient, <c>patients</c>; two when it selects each appointment's first <c>patient</c>, read by id), the
/// DataLoaders' count without, and answer byte for byte the same; <c>Fhir:Includes=Auto</c> follows the server's
/// CapabilityStatement, read once; <c>On</c> and <c>Off</c> override it.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class PlannerRequestCountTests(MedplumFixture medplum, ITestOutputHelper output)
{
    private const string WeekView = """
        query($id: ID!) { schedule(id: $id) { id slots(first: 1000) { totalCount nodes { id start status
          appointments { nodes { id status patients { id displayName } practitioners { id displayName } } } } } } }
        """;

    /// <summary>The week view as it was asked before <c>patients</c>: each appointment's first patient (Answers.One).</summary>
    private const string WeekViewFirstPatient = """
        query($id: ID!) { schedule(id: $id) { id slots(first: 1000) { totalCount nodes { id start status
          appointments { nodes { id status patient { id displayName } practitioners { id displayName } } } } } } }
        """;

    private const string Upcoming = """
        query($from: DateTime!) { appointments(where: { date: { gte: $from } }, first: 50) { nodes { id start status
          slots { id start end } practitioners { id displayName } locations { name } } } }
        """;

    private const string PatientSearch = """
        query($name: String!) { patients(name: $name, first: 20) { totalCount nodes { id displayName
          appointments { totalCount nodes { id start status } } } } }
        """;

    private static readonly string[] RealisticOperations =
    [
        WeekView,
        WeekViewFirstPatient,
        Upcoming,
        PatientSearch,
        """
        query($id: ID!) { slots(where: { scheduleIds: [$id] }, first: 7) { pageInfo { hasNextPage endCursor } edges { cursor node { id start
          schedule { id active } appointments(first: 1) { totalCount nodes { id patient { displayName } } } } } } }
        """,
        """
        query($id: ID!) { s: schedule(id: $id) { ...W } } fragment W on Schedule { id slots(first: 5) { nodes { id ...A } } }
        fragment A on Slot { appointments { nodes { id slots { id } practitioners { id } patients { displayName } patient { id } locations { id name } location { name } } } }
        """,
        """
        query($name: String!) { patients(name: $name, first: 3) { nodes { id appointments(first: 2, where: { status: [BOOKED] }) { totalCount nodes { id practitioners { displayName } } } } } }
        """,
    ];

    private static readonly DateTimeOffset From = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_week_view_upcoming_appointments_and_a_patient_search_cost_one_FHIR_request_each_and_answer_as_the_DataLoaders_do()
    {
        var family = "Planned" + Guid.NewGuid().ToString("N")[..6];
        var seed = await SeedAsync(40, family);
        var patient = seed.Patients[0].Id!;
        var screens = new (string Name, string Query, object Variables, string Token)[]
        {
            ("week view", WeekView, new { id = seed.Schedule.Id }, TestTokens.Scheduler()),
            ("week view, first patient", WeekViewFirstPatient, new { id = seed.Schedule.Id }, TestTokens.Scheduler()),
            ("upcoming", Upcoming, new { from = From }, TestTokens.Patient(patient)),
            ("patient search", PatientSearch, new { name = family }, TestTokens.Scheduler()),
        };
        var counts = new Dictionary<string, int>();
        var answers = new Dictionary<string, string>();
        foreach (var includes in new[] { "On", "Off" })
        {
            var gateway = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", includes), ("Cache:Enabled", "false")]);
            foreach (var (name, query, variables, token) in screens)
            {
                await medplum.Server.ResetCountsAsync();
                var answer = await gateway.QueryAsync(query, variables, token);
                var requests = await medplum.Server.RequestsAsync();
                output.WriteLine($"{name}, includes {includes}: {requests.Count}\n  " + string.Join("\n  ", requests.Select(Shorten)));
                Assert.Null(answer["errors"]);
                counts[$"{name}/{includes}"] = requests.Count;
                answers[$"{name}/{includes}"] = answer.ToJsonString();
            }
        }

        // The week view selecting each appointment's first patient costs a second request: Appointment.patient answers
        // one, and _include=Appointment:patient would read every patient of a group class (NavigationAnswersTests).
        var planned = new Dictionary<string, int> { ["week view"] = 1, ["week view, first patient"] = 2, ["upcoming"] = 1, ["patient search"] = 1 };
        foreach (var (name, _, _, _) in screens)
        {
            Assert.Equal(answers[name + "/Off"], answers[name + "/On"]);
            Assert.True(counts[name + "/On"] == planned[name], $"{name}: {counts[name + "/On"]} FHIR requests with the planner");
        }

        Assert.Equal(5, counts["week view/Off"]);
        Assert.Equal(5, counts["week view, first patient/Off"]);
        Assert.Equal(4, counts["upcoming/Off"]);
        Assert.Equal(2, counts["patient search/Off"]);

        // Every group class shows both its patients in the week view, and its two rooms in the patient's upcoming list.
        var week = JsonNode.Parse(answers["week view/On"]).At("data.schedule.slots.nodes")!.AsArray();
        Assert.Equal(
            seed.Appointments.Select((_, i) => MedplumPracticeSeed.IsGroupClass(i) ? 2 : 1),
            week.Select(s => Assert.Single(s!.At("appointments.nodes")!.AsArray())!["patients"]!.AsArray().Count));
        var upcoming = JsonNode.Parse(answers["upcoming/On"]).At("data.appointments.nodes")!.AsArray();
        Assert.Equal(seed.Appointments.Count(a => MedplumPracticeSeed.Involves(a, seed.Patients[0])), upcoming.Count);
        Assert.All(upcoming, a => Assert.Equal(2, a!["practitioners"]!.AsArray().Count));
        Assert.Contains(upcoming, a => a!["locations"]!.AsArray().Count == 2);
        Assert.Equal(10, JsonNode.Parse(answers["patient search/On"]).At("data.patients.totalCount")!.GetValue<int>());
    }

    [Fact]
    public async Task Realistic_operations_answer_byte_for_byte_the_same_on_Medplum_with_the_planner_on_and_off()
    {
        var family = "Diff" + Guid.NewGuid().ToString("N")[..6];
        var seed = await SeedAsync(20, family);
        var on = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "On"), ("Cache:Enabled", "false")]);
        var off = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "Off"), ("Cache:Enabled", "false")]);
        var variables = new { id = seed.Schedule.Id, from = From, name = family };
        var planned = 0;
        foreach (var token in new[] { TestTokens.Scheduler(), TestTokens.Patient(seed.Patients[1].Id!), TestTokens.Practitioner(seed.Schedule.Actor[0].Reference!.Split('/')[1]) })
        {
            foreach (var operation in RealisticOperations)
            {
                await medplum.Server.ResetCountsAsync();
                var answer = await on.QueryAsync(operation, variables, token);
                planned += (await medplum.Server.RequestsAsync()).Count(r => r.Contains("_include", StringComparison.Ordinal) || r.Contains("_revinclude", StringComparison.Ordinal));
                var expected = await off.QueryAsync(operation, variables, token);
                Assert.Equal(expected.ToJsonString(), answer.ToJsonString());
            }
        }

        Assert.True(planned >= 10, $"{planned} planned searches");
    }

    [Fact]
    public async Task Auto_follows_the_CapabilityStatement_read_once_and_On_and_Off_override_it()
    {
        var seed = await SeedAsync(10, "Seed");
        var counts = new Dictionary<string, IReadOnlyList<string>[]>();
        foreach (var (published, includes) in new[] { (true, "Auto"), (false, "Auto"), (true, "Off"), (false, "On") })
        {
            await medplum.Server.PublishIncludesAsync(published);
            try
            {
                // A gateway of its own: the statement is read once per process.
                await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("Fhir:Includes", includes), ("Cache:Enabled", "false")));
                var runs = new List<IReadOnlyList<string>>();
                for (var i = 0; i < 2; i++)
                {
                    await medplum.Server.ResetCountsAsync();
                    var answer = await gateway.QueryAsync(WeekView, new { id = seed.Schedule.Id });
                    Assert.Null(answer["errors"]);
                    runs.Add(await medplum.Server.RequestsAsync());
                }

                counts[$"{(published ? "published" : "none")}/{includes}"] = [.. runs];
            }
            finally
            {
                await medplum.Server.PublishIncludesAsync(false);
            }
        }

        foreach (var (key, runs) in counts)
        {
            output.WriteLine(key + ": " + string.Join(" | ", runs.Select(r => string.Join(", ", r.Select(Shorten)))));
        }

        static int Searches(IReadOnlyList<string> requests) => requests.Count(r => !r.StartsWith("GET metadata", StringComparison.Ordinal));
        static int Metadata(IReadOnlyList<string> requests) => requests.Count(r => r.StartsWith("GET metadata", StringComparison.Ordinal));

        Assert.Equal([1, 0], counts["published/Auto"].Select(Metadata));
        // Planned: one search with includes, the patients too (Appointment.patients answers what the include brings).
        Assert.Equal([1, 1], counts["published/Auto"].Select(Searches));
        Assert.Equal([1, 0], counts["none/Auto"].Select(Metadata));
        Assert.Equal([5, 5], counts["none/Auto"].Select(Searches));
        Assert.Equal([0, 0], counts["published/Off"].Select(Metadata));
        Assert.Equal([5, 5], counts["published/Off"].Select(Searches));
        Assert.Equal([0, 0], counts["none/On"].Select(Metadata));
        Assert.Equal([1, 1], counts["none/On"].Select(Searches));
    }

    private async Task<MedplumPracticeSeed> SeedAsync(int slots, string family) =>
        await MedplumPracticeSeed.CreateAsync(medplum.Store, slots, family, groupClasses: true);

    private static string Shorten(string request) => request.Length > 160 ? request[..160] + "…" : request;
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// Two front-end screens, a practitioner's week view and a patient's upcoming appointments, on the same practice
/// data: the gateway (no cache, warm cache, and without batching), Medplum's own FHIR GraphQL (<c>$graphql</c>),
/// and a front-end making plain FHIR REST calls, against Medplum's engine with an added upstream latency; and the
/// gateway on its embedded store. Prints FHIR requests per screen, latency p50/p99, throughput, and the gateway's
/// own overhead (client latency minus the time its operation spent waiting on FHIR, from Server-Timing).
/// </summary>
public static partial class QueryBenchmark
{
    /// <summary>
    /// A practitioner's week: every patient of each appointment (<c>patients</c>: a group class shows all of them), which
    /// the planner includes (<c>_include=Appointment:patient</c> brings exactly those).
    /// </summary>
    internal const string WeekView = """
        query WeekView($id: ID!, $from: DateTime!, $to: DateTime!) {
          practitioner(id: $id) { displayName
            schedules { nodes { id
              slots(where: { start: { gte: $from, lt: $to } }, first: 200) { nodes { start end status
                appointments { nodes { status patients { displayName } } } } } } } } }
        """;

    /// <summary>The week view as the bench asked it before <c>patients</c>: each appointment's first patient, which the planner leaves to the DataLoaders.</summary>
    internal const string WeekViewFirstPatient = """
        query WeekView($id: ID!, $from: DateTime!, $to: DateTime!) {
          practitioner(id: $id) { displayName
            schedules { nodes { id
              slots(where: { start: { gte: $from, lt: $to } }, first: 200) { nodes { start end status
                appointments { nodes { status patient { displayName } } } } } } } } }
        """;

    /// <summary>A patient's upcoming appointments with their practitioners and every location (<c>locations</c>, included by the planner).</summary>
    internal const string Upcoming = """
        query Upcoming($id: ID!, $from: DateTime!) {
          patient(id: $id) { displayName
            appointments(where: { date: { gte: $from } }, first: 50) { nodes { start status practitioners { displayName } locations { name } } } } }
        """;

    /// <summary>The upcoming screen as the bench asked it before <c>locations</c>: the first location only, left to the DataLoaders.</summary>
    internal const string UpcomingFirstLocation = """
        query Upcoming($id: ID!, $from: DateTime!) {
          patient(id: $id) { displayName
            appointments(where: { date: { gte: $from } }, first: 50) { nodes { start status practitioners { displayName } location { name } } } } }
        """;

    /// <summary>The label of the one row per screen that keeps the old selection (<c>patient</c>, <c>location</c>) visible.</summary>
    internal static string FirstOnly(string screen) => screen == "week view" ? "old `patient` (first only)" : "old `location` (first only)";

    internal static readonly DateTimeOffset Monday = new(2031, 2, 3, 0, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(int latencyMs, int iterations)
    {
        Console.WriteLine($"Queries: practice of 1 practitioner, 80 slots in a week, 40 booked by 20 patients; {iterations} runs per row; " +
            $"upstream latency {latencyMs} ms per FHIR request (Medplum rows); {Environment.ProcessorCount} cores; {DateTimeOffset.UtcNow:yyyy-MM-dd}.");
        Console.WriteLine();
        Console.WriteLine("| screen | client | FHIR requests | p50 ms | p99 ms | req/s (4 clients) | gateway overhead p50 ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|");

        await using var medplum = await MedplumServer.StartAsync();
        await using var services = FhirStores.Rest(medplum.FhirBaseUrl);
        var practice = await Practice.SeedAsync(services.GetRequiredService<IFhirStore>());
        await medplum.Control.PostAsync($"latency?ms={latencyMs}", null);

        var common = new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = medplum.FhirBaseUrl,
            ["Fhir:RetryCount"] = "0",
            ["Booking:HoldSweepSeconds"] = "3600",
            ["ChangeFeed:PollSeconds"] = "0",
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await using var cold = await GatewayServer.StartAsync(With(common, ("Cache:Enabled", "false")));
        await using var warm = await GatewayServer.StartAsync(common);
        await using var naive = await GatewayServer.StartAsync(With(common, ("Cache:Enabled", "false"), ("DataLoading:Batching", "false")));
        await using var planned = await GatewayServer.StartAsync(With(common, ("Cache:Enabled", "false"), ("Fhir:Includes", "On")));
        var p50s = new Dictionary<(string Screen, string Client), double>();
        var counted = new Dictionary<(string Screen, string Gateway), int>();
        using var fhir = new HttpClient { BaseAddress = new Uri(medplum.FhirBaseUrl) };

        foreach (var screen in new[] { "week view", "upcoming" })
        {
            var (query, variables) = GatewayRequest(screen, practice);
            var clients = new List<(string Name, Func<Task<Sample>> Run, bool Counted)>
            {
                ("gateway, no cache", () => GatewayAsync(cold, query, variables), true),
                ("gateway, warm cache", () => GatewayAsync(warm, query, variables), true),
                ("gateway, no batching (resolver per item)", () => GatewayAsync(naive, query, variables), true),
                ("gateway, planned (Fhir:Includes=On), no cache", () => GatewayAsync(planned, query, variables), true),
                ("Medplum $graphql", () => MedplumGraphQLAsync(fhir, screen, practice), true),
                ("front-end, plain FHIR REST", () => RestFrontEndAsync(fhir, screen, practice), true),
            };
            // One row more per screen: the planned gateway asked the screen's old selection, whose first patient
            // (location) the planner leaves to the DataLoaders, so what that field costs stays visible.
            var (firstOnly, _) = GatewayRequest(screen, practice, firstOnly: true);
            clients.Add(($"gateway, planned, no cache, {FirstOnly(screen)}", () => GatewayAsync(planned, firstOnly, variables), true));
            foreach (var (name, run, _) in clients)
            {
                await run(); // warm-up (and fills the warm cache)
                await medplum.ResetCountsAsync();
                await run();
                var requests = (await medplum.RequestsAsync()).Count;
                counted[(screen, name)] = requests;
                var (p50, p99, perSecond, overhead) = await MeasureAsync(run, iterations);
                Print(screen, name, requests, p50, p99, perSecond, name.StartsWith("gateway", StringComparison.Ordinal) ? overhead : null);
                p50s[(screen, name)] = p50;
            }
        }

        await using var embedded = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning", ["GraphQL:RateLimitPerSecond"] = "0" });
        var local = await Practice.SeedAsync(embedded.Services.GetRequiredService<InMemoryFhirStore>());
        foreach (var screen in new[] { "week view", "upcoming" })
        {
            var (query, variables) = GatewayRequest(screen, local);
            var (p50, p99, perSecond, overhead) = await MeasureAsync(() => GatewayAsync(embedded, query, variables), iterations);
            Print(screen, "gateway, embedded store", 0, p50, p99, perSecond, overhead);
        }

        Console.WriteLine();
        var graphql = p50s[("week view", "Medplum $graphql")];
        foreach (var client in new[] { "gateway, no cache", "gateway, planned (Fhir:Includes=On), no cache" })
        {
            var p50 = p50s[("week view", client)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Week view, {client}: p50 {p50:F1} ms against Medplum $graphql {graphql:F1} ms ({(p50 <= graphql ? "at or below" : "above")} it, {p50 - graphql:+0.0;-0.0} ms)."));
        }

        OverheadBenchmark.CheckPlanned(counted, "gateway, no cache", "gateway, planned (Fhir:Includes=On), no cache");
        Console.WriteLine($"Load average at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?")}.");
    }

    private static void Print(string screen, string client, int requests, double p50, double p99, double perSecond, double? overhead) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {screen} | {client} | {(requests == 0 ? "–" : requests)} | {p50:F1} | {p99:F1} | {perSecond:F0} | {(overhead is { } o ? o.ToString("F2", CultureInfo.InvariantCulture) : "–")} |"));

    private static async Task<(double P50, double P99, double PerSecond, double Overhead)> MeasureAsync(Func<Task<Sample>> run, int iterations)
    {
        var samples = new List<Sample>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            samples.Add(await run());
        }

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            for (var i = 0; i < iterations / 4; i++)
            {
                await run();
            }
        }));
        var perSecond = (iterations / 4 * 4) / clock.Elapsed.TotalSeconds;
        var latencies = samples.Select(s => s.Milliseconds).Order().ToList();
        var overheads = samples.Select(s => s.Milliseconds - s.FhirMilliseconds).Order().ToList();
        return (Percentile(latencies, 0.5), Percentile(latencies, 0.99), perSecond, Percentile(overheads, 0.5));
    }

    /// <summary>The screen's document and variables; <paramref name="firstOnly"/>: its old selection (<see cref="FirstOnly"/>).</summary>
    internal static (string Query, object Variables) GatewayRequest(string screen, Practice practice, bool firstOnly = false) => screen == "week view"
        ? (firstOnly ? WeekViewFirstPatient : WeekView, new { id = practice.PractitionerId, from = Monday.ToString("O", CultureInfo.InvariantCulture), to = Monday.AddDays(7).ToString("O", CultureInfo.InvariantCulture) })
        : (firstOnly ? UpcomingFirstLocation : Upcoming, new { id = practice.PatientId, from = Monday.ToString("O", CultureInfo.InvariantCulture) });

    private static async Task<Sample> GatewayAsync(GatewayServer gateway, string query, object variables)
    {
        var clock = Stopwatch.StartNew();
        using var response = await gateway.Client.PostAsJsonAsync("/graphql", new { query, variables });
        var body = await response.Content.ReadAsStringAsync();
        clock.Stop();
        if (!response.IsSuccessStatusCode || body.Contains("\"errors\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("gateway query failed: " + body[..Math.Min(300, body.Length)]);
        }

        var timing = response.Headers.TryGetValues("Server-Timing", out var values) ? values.First() : string.Empty;
        var fhir = FhirDuration().Match(timing) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new Sample(clock.Elapsed.TotalMilliseconds, fhir);
    }

    private static async Task<Sample> MedplumGraphQLAsync(HttpClient fhir, string screen, Practice practice)
    {
        var query = screen == "week view"
            ? $$"""{ Practitioner(id: "{{practice.PractitionerId}}") { name { given family } ScheduleList(_reference: actor) { id SlotList(_reference: schedule, start: "ge2031-02-03", _count: 200) { start end status AppointmentList(_reference: slot) { status participant { actor { reference resource { ... on Patient { name { given family } } } } } } } } } }"""
            : $$"""{ Patient(id: "{{practice.PatientId}}") { name { given family } AppointmentList(_reference: patient, date: "ge2031-02-03") { start status participant { actor { resource { ... on Practitioner { practitionerName: name { given family } } ... on Location { locationName: name } } } } } } }""";
        var clock = Stopwatch.StartNew();
        using var response = await fhir.PostAsJsonAsync("$graphql", new { query });
        var body = await response.Content.ReadAsStringAsync();
        clock.Stop();
        if (!response.IsSuccessStatusCode || body.Contains("\"errors\"", StringComparison.Ordinal) || body.Contains("OperationOutcome", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Medplum $graphql failed: " + body[..Math.Min(300, body.Length)]);
        }

        return new Sample(clock.Elapsed.TotalMilliseconds, 0);
    }

    /// <summary>What a front-end without a gateway does: one FHIR call per item it needs, each level in parallel.</summary>
    private static async Task<Sample> RestFrontEndAsync(HttpClient fhir, string screen, Practice practice)
    {
        var clock = Stopwatch.StartNew();
        if (screen == "week view")
        {
            await GetAsync(fhir, $"Practitioner/{practice.PractitionerId}");
            var schedules = Resources(await GetAsync(fhir, $"Schedule?actor=Practitioner/{practice.PractitionerId}"));
            var slots = (await Task.WhenAll(schedules.Select(s => GetAsync(fhir, $"Slot?schedule=Schedule/{s.GetProperty("id").GetString()}&start=ge2031-02-03&start=lt2031-02-10&_count=200"))))
                .SelectMany(Resources).ToList();
            var appointments = (await Task.WhenAll(slots.Select(s => GetAsync(fhir, $"Appointment?slot=Slot/{s.GetProperty("id").GetString()}")))).SelectMany(Resources).ToList();
            await Task.WhenAll(appointments.SelectMany(Actors).Where(a => a.StartsWith("Patient/", StringComparison.Ordinal)).Select(a => GetAsync(fhir, a)));
        }
        else
        {
            await GetAsync(fhir, $"Patient/{practice.PatientId}");
            var appointments = Resources(await GetAsync(fhir, $"Appointment?patient=Patient/{practice.PatientId}&date=ge2031-02-03"));
            await Task.WhenAll(appointments.SelectMany(Actors).Where(a => !a.StartsWith("Patient/", StringComparison.Ordinal)).Select(a => GetAsync(fhir, a)));
        }

        return new Sample(clock.Elapsed.TotalMilliseconds, 0);
    }

    private static async Task<JsonElement> GetAsync(HttpClient fhir, string url)
    {
        using var response = await fhir.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }

    private static IEnumerable<JsonElement> Resources(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("resource")) : [];

    private static IEnumerable<string> Actors(JsonElement appointment) =>
        appointment.GetProperty("participant").EnumerateArray()
            .Select(p => p.TryGetProperty("actor", out var a) && a.TryGetProperty("reference", out var r) ? r.GetString() : null)
            .OfType<string>();

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings, params (string Key, string Value)[] more)
    {
        var copy = new Dictionary<string, string?>(settings);
        foreach (var (key, value) in more)
        {
            copy[key] = value;
        }

        return copy;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    [GeneratedRegex(@"fhir;dur=([0-9.]+)")]
    private static partial Regex FhirDuration();

    private sealed record Sample(double Milliseconds, double FhirMilliseconds);
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// The gateway's own cost per screen, with FHIR taken out: the gateway in this process on Kestrel, its FHIR client
/// answered by <see cref="CannedFhirHandler"/> (the same JSON bytes every time, no network, no server work). Prints per
/// request the wall time, the CPU time of the whole process (client included) and the bytes allocated. CPU time and
/// allocations hardly move with the machine's load, so they are the before/after measure on a shared machine.
/// </summary>
public static class OverheadBenchmark
{
    private static readonly Uri BaseUrl = new("http://canned.fhir/fhir/");

    private static readonly string[] Screens = ["week view", "upcoming"];

    public static async Task RunAsync(int iterations, string? only)
    {
        var store = new InMemoryFhirStore();
        var practice = await Practice.SeedAsync(store);
        var handler = new CannedFhirHandler(store, BaseUrl);
        Console.WriteLine($"Gateway overhead in process (FHIR answered from canned JSON, no network): {iterations} sequential requests per row after " +
            $"{Math.Min(iterations, 50)} warm-up; {Environment.ProcessorCount} cores, load {Load()}; GC {GcMode()}; {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        Console.WriteLine();
        Console.WriteLine("| screen | gateway | FHIR requests | p50 ms | CPU ms/request | KB allocated/request | GCs/100 requests | GC pause ms/request |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var common = new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = BaseUrl.ToString(),
            ["Fhir:RetryCount"] = "0",
            ["Booking:HoldSweepSeconds"] = "3600",
            ["ChangeFeed:PollSeconds"] = "0",
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var gateways = new (string Name, Dictionary<string, string?> Settings)[]
        {
            ("no cache", With(common, ("Cache:Enabled", "false"), ("Fhir:Includes", "Off"))),
            ("warm cache", With(common, ("Fhir:Includes", "Off"))),
            ("planned, no cache", With(common, ("Cache:Enabled", "false"), ("Fhir:Includes", "Auto"))),
        };
        var counted = new Dictionary<(string Screen, string Gateway), int>();
        foreach (var (name, settings) in gateways.Where(g => only is null || g.Name == only))
        {
            await using var gateway = await GatewayServer.StartAsync(settings, services =>
                services.AddHttpClient(RestFhirStore.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler));
            // The planned gateway also asks each screen's old selection (first patient, first location), one row each,
            // so what those fields cost (a request more: the planner leaves them to the DataLoaders) stays visible.
            var rows = Screens.Select(screen => (Screen: screen, Label: name, FirstOnly: false))
                .Concat(name == "planned, no cache" ? Screens.Select(screen => (Screen: screen, Label: $"{name}, {QueryBenchmark.FirstOnly(screen)}", FirstOnly: true)) : []);
            foreach (var (screen, label, firstOnly) in rows)
            {
                var (query, variables) = QueryBenchmark.GatewayRequest(screen, practice, firstOnly);
                var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query, variables }));
                await RequestAsync(gateway, body);
                var before = handler.Requests;
                await RequestAsync(gateway, body);
                var requests = handler.Requests - before;
                counted[(screen, label)] = requests;
                for (var i = 0; i < Math.Min(iterations, 50); i++)
                {
                    await RequestAsync(gateway, body);
                }

                var m = await MeasureAsync(() => RequestAsync(gateway, body), iterations);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {screen} | {label} | {requests} | {m.P50:F2} | {m.CpuMs:F2} | {m.Bytes / 1024:F0} | {m.Collections * 100:F1} | {m.PauseMs:F2} |"));
            }
        }

        CheckPlanned(counted, "no cache", "planned, no cache");
        Console.WriteLine($"FHIR bodies read by the gateway's reader: {Scheduling.Schema.Fhir.Reading.FhirJsonReader.Read}, left to Firely: {Scheduling.Schema.Fhir.Reading.FhirJsonReader.HandedToFirely}.");
        if (Scheduling.Schema.Fhir.Reading.FhirJsonReader.HandedToFirely > 0)
        {
            Environment.ExitCode = 1;
        }
    }

    /// <summary>
    /// The planned row must cost fewer FHIR requests than the unplanned one; when it does not, the bench says so and
    /// exits non-zero, so a planner that quietly stops planning shows (as it once did: 5 requests, planned or not).
    /// </summary>
    internal static void CheckPlanned(IReadOnlyDictionary<(string Screen, string Gateway), int> counted, string unplanned, string planned)
    {
        foreach (var screen in counted.Keys.Select(k => k.Screen).Distinct())
        {
            if (counted.TryGetValue((screen, unplanned), out var without) && counted.TryGetValue((screen, planned), out var with) && with >= without)
            {
                Console.WriteLine($"NOT PLANNED: {screen}, {planned}: {with} FHIR requests, {unplanned}: {without}.");
                Environment.ExitCode = 1;
            }
        }
    }

    /// <summary>What one row measured, per request: collections of any generation, and the time the GC paused the process.</summary>
    private readonly record struct Measured(double P50, double CpuMs, double Bytes, double Collections, double PauseMs);

    private static async Task<Measured> MeasureAsync(Func<Task> run, int iterations)
    {
        var process = Process.GetCurrentProcess();
        var latencies = new double[iterations];
        GC.Collect();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var collections = GC.CollectionCount(0);
        var paused = GC.GetTotalPauseDuration();
        for (var i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            await run();
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }

        var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)iterations;
        var gcs = (GC.CollectionCount(0) - collections) / (double)iterations;
        var pauseMs = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds / iterations;
        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / iterations;
        Array.Sort(latencies);
        return new Measured(latencies[iterations / 2], cpuMs, bytes, gcs, pauseMs);
    }

    private static async Task RequestAsync(GatewayServer gateway, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await gateway.Client.PostAsync(new Uri("/graphql", UriKind.Relative), content);
        var answer = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode || answer.AsSpan().IndexOf("\"errors\""u8) >= 0)
        {
            throw new InvalidOperationException("gateway query failed: " + Encoding.UTF8.GetString(answer.AsSpan(0, Math.Min(300, answer.Length))));
        }
    }

    /// <summary>The collector this process runs with: the gateway's own (server, or as its runtimeconfig says) or not.</summary>
    internal static string GcMode() =>
        (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation") +
        (AppContext.GetData("System.GC.DynamicAdaptationMode") is { } mode ? $", adaptation {mode}" : string.Empty) +
        $", {System.Runtime.GCSettings.LatencyMode}";

    private static string Load() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings, params (string Key, string Value)[] more)
    {
        var copy = new Dictionary<string, string?>(settings);
        foreach (var (key, value) in more)
        {
            copy[key] = value;
        }

        return copy;
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// createSlots at the size of issue 10's finding 6: a practitioner's schedule, 5-minute slots 00:00–23:59 every
/// day for <c>--days</c> days (92 days: 26,404 slots). Rows: the first call (all created), a rerun (all skipped),
/// and four reruns at once. The gateway's per-call limits are raised so that the same call is measured before and
/// after they existed. On the embedded store and, with <c>--medplum</c>, on Medplum's FHIR engine (both write modes).
/// </summary>
public static class CreateSlotsBenchmark
{
    private const string Mutation = """
        mutation($input: CreateSlotsInput!) { createSlots(input: $input) { count skipped errors { __typename ... on Error { message } } } }
        """;

    public static async Task RunAsync(int days, bool medplum)
    {
        Console.WriteLine($"createSlots: {days} days of 5-minute slots 00:00-23:59 ({days * 287} slots), {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:yyyy-MM-dd}.");
        Console.WriteLine();
        Console.WriteLine($"| {"FHIR store",-32} | {"call",-16} | {"created",7} | {"skipped",7} | {"seconds",8} |");
        Console.WriteLine($"|{new string('-', 34)}|{new string('-', 18)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 10)}|");
        var raised = new Dictionary<string, string?>
        {
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["GraphQL:OperationTimeoutSeconds"] = "600",
            ["Scheduling:MaxSlotsPerCall"] = "100000",
            ["Scheduling:MaxDaysPerCall"] = "366",
        };

        await using (var embedded = await GatewayServer.StartAsync(raised))
        {
            await RunAsync("embedded store", embedded, "alice-smith-schedule", days);
        }

        if (!medplum)
        {
            return;
        }

        await using var server = await MedplumServer.StartAsync();
        await using var services = FhirStores.Rest(server.FhirBaseUrl);
        var store = services.GetRequiredService<IFhirStore>();
        foreach (var transactions in new[] { true, false })
        {
            var settings = new Dictionary<string, string?>(raised)
            {
                ["Fhir:BaseUrl"] = server.FhirBaseUrl,
                ["Fhir:UseTransactions"] = transactions ? "true" : "false",
                ["Fhir:TimeoutSeconds"] = "300",
            };
            await using var gateway = await GatewayServer.StartAsync(settings);
            var world = await BookingWorld.CreateAsync(store, slots: 0);
            await RunAsync("Medplum, " + (transactions ? "transactions" : "individual creates"), gateway, world.Schedule.Id!, days);
        }
    }

    private static async Task RunAsync(string label, GatewayServer gateway, string scheduleId, int days)
    {
        var first = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(400);
        var input = new
        {
            scheduleId,
            from = first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = first.AddDays(days - 1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            daysOfWeek = new[] { "SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY" },
            startTime = "00:00",
            endTime = "23:59",
            slotMinutes = 5,
        };

        async Task<(int Created, int Skipped)> CallAsync()
        {
            var answer = await gateway.QueryAsync(Mutation, new { input });
            var payload = answer.At("data.createSlots");
            if (payload?["count"] is null)
            {
                throw new InvalidOperationException("createSlots failed: " + answer.ToJsonString());
            }

            return (payload["count"]!.GetValue<int>(), payload["skipped"]!.GetValue<int>());
        }

        void Row(string call, (int Created, int Skipped) result, TimeSpan elapsed) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {label,-32} | {call,-16} | {result.Created,7} | {result.Skipped,7} | {elapsed.TotalSeconds,8:F2} |"));

        var clock = Stopwatch.StartNew();
        Row("first call", await CallAsync(), clock.Elapsed);
        clock.Restart();
        Row("rerun", await CallAsync(), clock.Elapsed);
        clock.Restart();
        var four = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => CallAsync()));
        Row("4 reruns at once", (four.Sum(r => r.Created), four.Sum(r => r.Skipped)), clock.Elapsed);
    }
}

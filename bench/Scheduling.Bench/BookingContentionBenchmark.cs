using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// Booking throughput under contention: clients released at once onto few slots, through two gateway instances
/// on Medplum's FHIR engine (both write modes) and through one gateway on the embedded store. Each round uses
/// fresh slots; every round is checked to have exactly one winner per slot.
/// </summary>
public static class BookingContentionBenchmark
{
    private static readonly (int Clients, int Slots)[] Scenarios = [(50, 1), (200, 20), (200, 200)];

    public static async Task RunAsync(int rounds)
    {
        Console.WriteLine($"Booking under contention: {rounds} rounds per row, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:yyyy-MM-dd}.");
        Console.WriteLine("attempts/s: booking attempts answered per second (winners and refusals); bookings/s: slots booked per second.");
        Console.WriteLine();
        Console.WriteLine($"| {"FHIR store",-34} | {"clients",7} | {"slots",5} | {"attempts/s",10} | {"bookings/s",10} | {"p50 ms",7} | {"p99 ms",7} | {"one winner per slot",19} |");
        Console.WriteLine($"|{new string('-', 36)}|{new string('-', 9)}|{new string('-', 7)}|{new string('-', 12)}|{new string('-', 12)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 21)}|");

        await using (var medplum = await MedplumServer.StartAsync())
        {
            foreach (var transactions in new[] { false, true })
            {
                var settings = new Dictionary<string, string?>
                {
                    ["Fhir:BaseUrl"] = medplum.FhirBaseUrl,
                    ["Fhir:UseTransactions"] = transactions ? "true" : "false",
                    ["Fhir:RetryCount"] = "0",
                    ["Booking:MaxOpenBookingsPerPatient"] = "0",
                    ["Booking:HoldSweepSeconds"] = "3600",
                    ["GraphQL:RateLimitPerSecond"] = "0",
                };
                await using var first = await GatewayServer.StartAsync(settings);
                await using var second = await GatewayServer.StartAsync(settings);
                await using var services = FhirStores.Rest(medplum.FhirBaseUrl);
                var label = "Medplum, 2 gateways, " + (transactions ? "transaction" : "If-Match+undo");
                await RunScenariosAsync(label, [first, second], services.GetRequiredService<IFhirStore>(), rounds);
            }
        }

        await using var embedded = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["Booking:MaxOpenBookingsPerPatient"] = "0",
            ["Booking:HoldSweepSeconds"] = "3600",
            ["GraphQL:RateLimitPerSecond"] = "0",
        });
        await RunScenariosAsync("embedded store, 1 gateway", [embedded], embedded.Services.GetRequiredService<InMemoryFhirStore>(), rounds);
    }

    private static async Task RunScenariosAsync(string label, IReadOnlyList<GatewayServer> gateways, IFhirStore store, int rounds)
    {
        var patients = await BookingRace.PatientsAsync(store, 200);
        await WarmUpAsync(gateways, store, patients);
        foreach (var (clients, slots) in Scenarios)
        {
            var latencies = new List<double>();
            var wall = TimeSpan.Zero;
            var booked = 0;
            var correct = true;
            for (var round = 0; round < rounds; round++)
            {
                var world = await BookingWorld.CreateAsync(store, slots: slots, daysAhead: 10 + round);
                var clock = Stopwatch.StartNew();
                var outcomes = await BookingRace.RunAsync(gateways, world, patients, clients);
                wall += clock.Elapsed;
                latencies.AddRange(outcomes.Select(o => o.Elapsed.TotalMilliseconds));
                booked += outcomes.Count(o => o.AppointmentId is not null);
                correct &= outcomes.GroupBy(o => o.Slot).All(g => g.Count(o => o.AppointmentId is not null) == 1) &&
                           outcomes.All(o => o.AppointmentId is not null || o.ErrorCode == "SLOT_UNAVAILABLE");
            }

            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label,-34} | {clients,7} | {slots,5} | {clients * rounds / wall.TotalSeconds,10:F0} | {booked / wall.TotalSeconds,10:F0} | {Percentile(latencies, 0.50),7:F1} | {Percentile(latencies, 0.99),7:F1} | {(correct ? "yes" : "NO"),19} |"));
        }
    }

    /// <summary>JIT, connection pools and FHIR caches warm before anything is timed.</summary>
    private static async Task WarmUpAsync(IReadOnlyList<GatewayServer> gateways, IFhirStore store, IReadOnlyList<Hl7.Fhir.Model.Patient> patients)
    {
        var world = await BookingWorld.CreateAsync(store, slots: 20, daysAhead: 9);
        await BookingRace.RunAsync(gateways, world, patients, 40);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// The cost of the booking core's concurrency control: the gateway of an earlier commit ("before") and of this
/// checkout ("after"), each built in Release and run as its own processes, the same contention rounds against both,
/// interleaved round by round (before, after, after, before, ...) so a noisy machine hits both alike. On Medplum's
/// engine (two gateway processes per version, both write modes) and on the embedded store (one process per version,
/// each with its own store). FHIR requests are the gateway's own count (Server-Timing, Development).
/// </summary>
public static class BookingBeforeAfterBenchmark
{
    /// <param name="commits">The versions to compare, by name: a commit, or null for this checkout.</param>
    public static async Task RunAsync(IReadOnlyList<(string Name, string? Commit)> commits, int rounds, int clients)
    {
        ArgumentNullException.ThrowIfNull(commits);
        var builds = new List<(string Name, string Dll)>();
        foreach (var (name, commit) in commits)
        {
            builds.Add((name, commit is null ? await GatewayBuilds.CurrentAsync() : await GatewayBuilds.AtCommitAsync(commit)));
        }

        Console.WriteLine($"Booking, {string.Join(", ", commits.Select(c => $"{c.Name} ({c.Commit ?? "this checkout"})"))}: {clients} clients released at once, " +
            $"{rounds} rounds per row (interleaved), {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        Console.WriteLine("attempts/s: answers per second (won or refused); bookings/s: appointments made per second; FHIR req: the gateway's requests " +
            "per attempt and per booking made.");
        Console.WriteLine();
        Console.WriteLine("| FHIR store | round | version | attempts/s | bookings/s | p50 ms | p99 ms | FHIR req/attempt | FHIR req/booking | outcome (every round) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");

        await using (var medplum = await MedplumServer.StartAsync())
        {
            await using var services = FhirStores.Rest(medplum.FhirBaseUrl);
            var store = services.GetRequiredService<IFhirStore>();
            var patients = (await BookingRace.PatientsAsync(store, Math.Min(clients, 200))).Select(p => p.Id!).ToList();
            foreach (var transactions in new[] { false, true })
            {
                var settings = Settings(medplum.FhirBaseUrl, transactions);
                var label = "Medplum, 2 gateways, " + (transactions ? "transaction" : "If-Match+undo");
                await using var versions = new Versions();
                foreach (var (name, dll) in builds)
                {
                    var practitioner = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Bench" + name }] }, CancellationToken.None);
                    var location = await store.CreateAsync(new Location { Name = "Bench room " + name }, CancellationToken.None);
                    versions.Add(new BenchedVersion(name, [await GatewayProcess.StartAsync(dll, settings), await GatewayProcess.StartAsync(dll, settings)],
                        practitioner.Id!, location.Id!, patients));
                }

                await RunRoundsAsync(label, versions, rounds, clients, countsFhir: true, firstDay: transactions ? 150 : 60);
            }
        }

        await using (var versions = new Versions())
        {
            foreach (var (name, dll) in builds)
            {
                versions.Add(new BenchedVersion(name, [await GatewayProcess.StartAsync(dll, Settings(null, false))], "carol-nguyen", "springfield-clinic",
                    ["homer-simpson", "marge-simpson", "bart-simpson", "lisa-simpson", "ned-flanders"]));
            }

            await RunRoundsAsync("embedded store, 1 gateway", versions, rounds, clients, countsFhir: false, firstDay: 60);
        }
    }

    private static Dictionary<string, string?> Settings(string? fhirBaseUrl, bool transactions) => new()
    {
        ["Fhir:BaseUrl"] = fhirBaseUrl ?? string.Empty,
        ["Fhir:UseTransactions"] = transactions ? "true" : "false",
        ["Fhir:RetryCount"] = "0",
        ["Booking:MaxOpenBookingsPerPatient"] = "0",
        ["Booking:HoldSweepSeconds"] = "3600",
        ["GraphQL:RateLimitPerSecond"] = "0",
    };

    private static async Task RunRoundsAsync(string label, Versions versions, int rounds, int clients, bool countsFhir, int firstDay)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var day = firstDay;
        foreach (var version in versions)
        {
            // JIT, connection pools and caches warm before anything is timed.
            await ContentionRound.RunAsync(version, Contention.DistinctSlots, 20, today.AddDays(day - 2));
        }

        foreach (var contention in Enum.GetValues<Contention>())
        {
            var results = versions.ToDictionary(v => v.Name, _ => new List<ContentionRound.Result>());
            for (var round = 0; round < rounds; round++, day += 8)
            {
                // Alternating order: whatever the machine does meanwhile lands on every version alike.
                foreach (var version in round % 2 == 0 ? versions : versions.AsEnumerable().Reverse())
                {
                    results[version.Name].Add(await ContentionRound.RunAsync(version, contention, clients, today.AddDays(day)));
                }
            }

            foreach (var version in versions)
            {
                Console.WriteLine(Row(label, contention, version.Name, results[version.Name], countsFhir));
            }
        }
    }

    private static string Row(string label, Contention contention, string version, List<ContentionRound.Result> results, bool countsFhir)
    {
        var outcomes = results.SelectMany(r => r.Outcomes).ToList();
        var seconds = results.Sum(r => r.Wall.TotalSeconds);
        var booked = outcomes.Count(o => o.AppointmentId is not null);
        var latencies = outcomes.Select(o => o.Elapsed.TotalMilliseconds).Order().ToList();
        var requests = outcomes.Sum(o => o.FhirRequests ?? 0);
        var perAttempt = countsFhir ? (requests / (double)outcomes.Count).ToString("F1", CultureInfo.InvariantCulture) : "–";
        var perBooking = countsFhir && booked > 0 ? (requests / (double)booked).ToString("F1", CultureInfo.InvariantCulture) : "–";
        var checks = string.Join("; ", results.Select(r => r.Check).Distinct());
        return string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {Name(contention)} | {version} | {outcomes.Count / seconds:F1} | {booked / seconds:F1} | {Percentile(latencies, 0.50):F0} | {Percentile(latencies, 0.99):F0} | {perAttempt} | {perBooking} | {checks} |");
    }

    private static string Name(Contention contention) => contention switch
    {
        Contention.DistinctSlots => "distinct slots",
        Contention.SameSlot => "same slot",
        _ => "overlapping rule options",
    };

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The versions of one store's rows, their processes stopped together.</summary>
    private sealed class Versions : List<BenchedVersion>, IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var gateway in this.SelectMany(v => v.Gateways))
            {
                await gateway.DisposeAsync();
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// What one booking costs Medplum's FHIR engine (with a delay per request) to deliver to N subscribers of its
/// practitioner watching nested fields (slots, patient, practitioners), through one in-process gateway; the
/// subscribers are reference graphql-ws clients in one Node process. FHIR requests per event are counted by the
/// server (the booking's own requests, measured with no subscriber, subtracted); latency is arrival at the client
/// minus the event's occurredAt (when the gateway learnt of the change).
/// </summary>
public static class MedplumFanOutBenchmark
{
    private const string Watch = """
        subscription($practitioner: ID!) {
          appointmentChanged(practitionerId: $practitioner) {
            occurredAt
            appointment { slots { status } patient { displayName } practitioners { displayName } }
          }
        }
        """;

    public static async Task RunAsync(IReadOnlyList<int> subscriberCounts, int latencyMs)
    {
        await using var server = await MedplumServer.StartAsync("--latency-ms", latencyMs.ToString(CultureInfo.InvariantCulture));
        await using var services = FhirStores.Rest(server.FhirBaseUrl);
        var store = services.GetRequiredService<IFhirStore>();
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = server.FhirBaseUrl,
            ["Fhir:RetryCount"] = "0",
            ["Booking:HoldSweepSeconds"] = "3600",
            ["ChangeFeed:PollSeconds"] = "0",
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["WebSockets:KeepAliveSeconds"] = "0",
            ["Subscriptions:MaxPerCaller"] = "100000", // every subscriber here is the same anonymous caller
        });

        var baseline = (await BookAsync(server, store, gateway, 0)).Requests;
        Console.WriteLine($"Subscriber fan-out on Medplum's FHIR engine ({latencyMs} ms per FHIR request), one in-process gateway, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:yyyy-MM-dd}.");
        Console.WriteLine($"A booking alone costs {baseline} FHIR requests; the rest is delivery.");
        Console.WriteLine();
        Console.WriteLine("| subscribers | delivered | FHIR requests for delivery | p50 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var count in subscriberCounts)
        {
            var (requests, delivered, latencies) = await BookAsync(server, store, gateway, count);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {count} | {delivered} | {requests - baseline} | {Percentile(latencies, 0.5):F0} | {Percentile(latencies, 0.99):F0} | {(latencies.Length > 0 ? latencies[^1] : 0):F0} |"));
        }
    }

    private static async Task<(int Requests, int Delivered, double[] Latencies)> BookAsync(MedplumServer server, IFhirStore store, GatewayServer gateway, int subscribers)
    {
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var hub = gateway.Services.GetRequiredService<ChangeHub>();
        var before = hub.ListenerCount;
        await using var crowd = subscribers == 0 ? null : await GraphQLWsCrowd.SubscribeAsync(
            gateway.BaseAddress, Watch, new { practitioner = world.Practitioner.Id }, [.. Enumerable.Repeat<(object?, bool)>((null, true), subscribers)], timeoutMs: 120_000);
        for (var i = 0; i < 1200 && hub.ListenerCount < before + subscribers; i++)
        {
            await Task.Delay(50);
        }

        await server.ResetCountsAsync();
        await gateway.QueryAsync(
            "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { errors { __typename } } }",
            new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var delivered = 0;
        var latencies = new List<double>();
        if (crowd is not null)
        {
            var (results, _) = await crowd.CollectAsync(TimeSpan.FromSeconds(120));
            var all = results.SelectMany(r => r.Value).ToList();
            delivered = all.Count(r => r.TryGetProperty("data", out var data) && data.TryGetProperty("appointmentChanged", out _));
            latencies.AddRange(all.Zip(crowd.Arrivals).Select(x => (x.Second - DateTimeOffset.Parse(
                x.First.GetProperty("data").GetProperty("appointmentChanged").GetProperty("occurredAt").GetString()!, CultureInfo.InvariantCulture)).TotalMilliseconds));
        }

        await Task.Delay(200);
        return ((await server.RequestsAsync()).Count, delivered, [.. latencies.Order()]);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

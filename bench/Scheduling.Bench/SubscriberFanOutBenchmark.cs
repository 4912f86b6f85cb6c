using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// Many subscribers on one gateway instance (its own process, embedded store): N WebSocket clients watch the same
/// calendar (slotsChanged) while bookings change it. Latency is delivery time minus the event's occurredAt (when the
/// gateway learnt of the change); memory is the gateway process's resident set, read from /proc.
/// </summary>
public static class SubscriberFanOutBenchmark
{
    public static async Task RunAsync(int subscribers, int events)
    {
        var port = FreePort();
        var dll = Path.Combine(RepoPaths.Root, "src", "Gateway", "bin", "Release", "net10.0", "Scheduling.Gateway.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.Combine(RepoPaths.Root, "src", "Gateway"), UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in new[] { dll, $"--Urls=http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning", "--WebSockets:KeepAliveSeconds=0", "--Booking:MaxOpenBookingsPerPatient=0", "--GraphQL:RateLimitPerSecond=0", "--Auth:AllowAnonymous=true", "--Subscriptions:MaxPerCaller=100000" })
        {
            start.ArgumentList.Add(argument);
        }

        using var gateway = Process.Start(start)!;
        gateway.BeginOutputReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitUntilUpAsync(http);
        var rssStart = ResidentMegabytes(gateway.Id);

        var slots = await FreeSlotsAsync(http, events);
        var latencies = new List<double>(subscribers * events);
        var clients = new List<Subscriber>();
        var connect = Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, subscribers).Chunk(50))
        {
            clients.AddRange(await Task.WhenAll(batch.Select(_ => Subscriber.StartAsync(port, latencies))));
        }

        connect.Stop();
        await Task.Delay(1000);
        var rssSubscribed = ResidentMegabytes(gateway.Id);

        var booking = Stopwatch.StartNew();
        foreach (var slot in slots)
        {
            await http.PostAsJsonAsync("/graphql", new
            {
                query = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { errors { __typename } } }",
                variables = new { input = new { slotIds = new[] { slot }, patientId = "homer-simpson" } },
            });
            await Task.Delay(100);
        }

        for (var i = 0; i < 100 && clients.Sum(c => c.Received) < subscribers * slots.Count; i++)
        {
            await Task.Delay(100);
        }

        booking.Stop();
        var rssAfter = ResidentMegabytes(gateway.Id);
        var delivered = clients.Sum(c => c.Received);
        foreach (var client in clients)
        {
            client.Dispose();
        }

        gateway.Kill(entireProcessTree: true);

        double[] sorted;
        lock (latencies)
        {
            sorted = [.. latencies.Order()];
        }

        Console.WriteLine($"Subscriber fan-out: one gateway process (embedded store), {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:yyyy-MM-dd}.");
        Console.WriteLine();
        Console.WriteLine("| subscribers | events | deliveries expected | delivered | p50 ms | p99 ms | max ms | RSS idle MB | RSS subscribed MB | RSS after MB | KB per subscriber |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {subscribers} | {slots.Count} | {subscribers * slots.Count} | {delivered} | {Percentile(sorted, 0.5):F1} | {Percentile(sorted, 0.99):F1} | {(sorted.Length > 0 ? sorted[^1] : 0):F1} | {rssStart:F0} | {rssSubscribed:F0} | {rssAfter:F0} | {(rssSubscribed - rssStart) * 1024 / subscribers:F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"({subscribers} clients connected and subscribed in {connect.Elapsed.TotalSeconds:F1} s)"));
    }

    private static async Task<List<string>> FreeSlotsAsync(HttpClient http, int count)
    {
        var response = await http.PostAsJsonAsync("/graphql", new
        {
            query = "query($n: Int) { availability(input: { scheduleIds: [\"alice-smith-schedule\"] }, first: $n) { nodes { slotIds } } }",
            variables = new { n = count },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. body.GetProperty("data").GetProperty("availability").GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("slotIds")[0].GetString()!)];
    }

    private static async Task WaitUntilUpAsync(HttpClient http)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                if ((await http.GetAsync("/health/live")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("the gateway did not start (build it first: dotnet build -c Release)");
    }

    private static double ResidentMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>One raw graphql-transport-ws client watching Dr. Smith's calendar.</summary>
    private sealed class Subscriber : IDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly CancellationTokenSource _stop = new();
        private int _received;

        public int Received => Volatile.Read(ref _received);

        public static async Task<Subscriber> StartAsync(int port, List<double> latencies)
        {
            var subscriber = new Subscriber();
            subscriber._socket.Options.AddSubProtocol("graphql-transport-ws");
            await subscriber._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/graphql"), CancellationToken.None);
            await subscriber.SendAsync("""{"type":"connection_init"}""");
            await subscriber.ReceiveAsync();
            await subscriber.SendAsync("""{"id":"1","type":"subscribe","payload":{"query":"subscription { slotsChanged(scheduleIds: [\"alice-smith-schedule\"]) { slotId occurredAt } }"}}""");
            _ = subscriber.ListenAsync(latencies);
            return subscriber;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Abort();
            _socket.Dispose();
            _stop.Dispose();
        }

        private async Task ListenAsync(List<double> latencies)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var text = await ReceiveAsync();
                    var received = DateTimeOffset.UtcNow;
                    using var message = JsonDocument.Parse(text);
                    if (message.RootElement.GetProperty("type").GetString() != "next")
                    {
                        continue;
                    }

                    var occurred = DateTimeOffset.Parse(
                        message.RootElement.GetProperty("payload").GetProperty("data").GetProperty("slotsChanged").GetProperty("occurredAt").GetString()!,
                        CultureInfo.InvariantCulture);
                    lock (latencies)
                    {
                        latencies.Add((received - occurred).TotalMilliseconds);
                    }

                    Interlocked.Increment(ref _received);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        private Task SendAsync(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task<string> ReceiveAsync()
        {
            var buffer = new byte[8192];
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, _stop.Token);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            return Encoding.UTF8.GetString(message.ToArray());
        }
    }
}

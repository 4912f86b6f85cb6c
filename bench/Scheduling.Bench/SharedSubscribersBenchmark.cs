using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// Many idle subscribers at mobile scale: two gateway processes sharing a real redis-server, over Medplum's FHIR
/// engine (with a delay per request), N raw graphql-transport-ws clients split between them, all watching one
/// practitioner's appointments with nested fields; then M bookings, alternating between the instances, one at a
/// time. Per booking: the FHIR requests of delivery (Medplum's own count during the booking and its delivery, minus
/// what the booking itself cost, from its Server-Timing), and the time from sending the booking to each client's
/// receipt. Memory: each gateway process's resident set before the clients and once they are subscribed and idle.
/// With <c>--sharing off</c> every subscriber has its own execution (<c>Subscriptions:ShareExecutions=false</c>).
/// </summary>
public static class SharedSubscribersBenchmark
{
    private const string Watch = BenchDocuments.WatchPractitioner;

    private const string Book = BenchDocuments.Book;

    /// <param name="redisTimeoutMs">The gateways' Redis command timeout (0: StackExchange.Redis's default, 5 s): lower, it shows what a timeout under load does.</param>
    /// <param name="gatewayDll">Another build of the gateway (e.g. an older commit's) instead of this one's.</param>
    public static async Task RunAsync(int subscribers, int events, int latencyMs, bool sharing, int redisTimeoutMs = 0, string? gatewayDll = null, int carriedSeconds = -1)
    {
        await using var medplum = await MedplumServer.StartAsync("--latency-ms", latencyMs.ToString(CultureInfo.InvariantCulture));
        await using var redis = await RedisServer.StartAsync();
        await using var fhir = FhirStores.Rest(medplum.FhirBaseUrl);
        var world = await BookingWorld.CreateAsync(fhir.GetRequiredService<IFhirStore>(), slots: events);
        var settings = new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = medplum.FhirBaseUrl,
            ["Fhir:RetryCount"] = "0",
            ["Redis:Configuration"] = redis.Configuration + (redisTimeoutMs > 0 ? FormattableString.Invariant($",asyncTimeout={redisTimeoutMs},syncTimeout={redisTimeoutMs}") : string.Empty),
            ["ChangeFeed:PollSeconds"] = "0",
            ["Booking:HoldSweepSeconds"] = "3600",
            ["Booking:MaxOpenBookingsPerPatient"] = "0",
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["WebSockets:KeepAliveSeconds"] = "0",
            ["Subscriptions:MaxPerCaller"] = "100000", // every client here is the same anonymous caller (the most allowed)
            ["Subscriptions:ShareExecutions"] = sharing ? "true" : "false",
            // Where each event's time goes inside each gateway (in-process timestamps, logged at Debug).
            ["Logging:LogLevel:Scheduling.Gateway.Streaming.SubscriptionGroups"] = "Debug",
            ["Logging:LogLevel:Scheduling.Schema.Subscriptions.ChangeHub"] = "Debug",
        };
        var dll = gatewayDll ?? Path.Combine(RepoPaths.Root, "src", "Gateway", "bin", "Release", "net10.0", "Scheduling.Gateway.dll");
        if (carriedSeconds >= 0)
        {
            // 0: every event reads its resources from FHIR (by default it takes what the change stream carried).
            settings["Subscriptions:CarriedResourceSeconds"] = carriedSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Each instance sends its own (unchecked) bearer token upstream, so Medplum's log tells their requests apart.
        await using var a = await GatewayProcess.StartAsync(dll, new Dictionary<string, string?>(settings) { ["Fhir:BearerToken"] = "instance-a" });
        await using var b = await GatewayProcess.StartAsync(dll, new Dictionary<string, string?>(settings) { ["Fhir:BearerToken"] = "instance-b" });
        var loadAtStart = LoadAverage();
        var instances = new[] { a, b };
        foreach (var instance in instances)
        {
            // Warm: the schema built, the first FHIR connection made.
            await instance.QueryAsync("query($id: ID!) { practitioner(id: $id) { displayName } }", new { id = world.Practitioner.Id });
        }

        await Task.Delay(2000);
        var idle = instances.Select(i => ResidentMegabytes(i.ProcessId)).ToArray();

        var deliveries = new Deliveries();
        var clients = new List<Subscriber>(subscribers);
        var connecting = Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, subscribers).Chunk(100))
        {
            clients.AddRange(await Task.WhenAll(batch.Select(i => Subscriber.StartAsync(instances[i % 2].Client.BaseAddress!, world.Practitioner.Id!, deliveries))));
        }

        connecting.Stop();
        await Task.Delay(5000); // subscribed everywhere, and settled
        var subscribed = instances.Select(i => ResidentMegabytes(i.ProcessId)).ToArray();

        var rows = new List<(int Event, string Instance, double Answered, int Delivered, int Requests, int RequestsA, int RequestsB, double P50, double P99, double Max, double SentP99, Ends Ended, int Silent)>();
        for (var e = 0; e < events; e++)
        {
            var instance = instances[e % 2];
            await medplum.ResetCountsAsync();
            deliveries.Start();
            var booking = Stopwatch.StartNew();
            var booked = await instance.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(e) }, patientId = world.Patient.Id } });
            var answered = booking.Elapsed.TotalMilliseconds;
            var waited = Stopwatch.StartNew();
            while (deliveries.Count < subscribers && waited.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(20);
            }

            await Task.Delay(300); // late reads, if any, are counted too
            var requests = (await medplum.RequestsAsync()).Count - (booked.FhirRequests ?? 0);
            var (auth, _) = await medplum.AuthAsync();
            // Per instance: the one that booked also made the booking's own requests, subtracted from its share.
            var requestsA = auth.Count(h => h == "Bearer instance-a") - (e % 2 == 0 ? booked.FhirRequests ?? 0 : 0);
            var requestsB = auth.Count(h => h == "Bearer instance-b") - (e % 2 == 1 ? booked.FhirRequests ?? 0 : 0);
            var (latencies, sent) = deliveries.Take();
            // Told nothing: still subscribed (never ended by the gateway), and this booking's event did not come.
            var silent = subscribers - latencies.Length - deliveries.EndedSoFar;
            rows.Add((e + 1, e % 2 == 0 ? "A" : "B", answered, latencies.Length, requests, requestsA, requestsB, Percentile(latencies, 0.5), Percentile(latencies, 0.99), latencies.Length > 0 ? latencies[^1] : 0, Percentile(sent, 0.99), deliveries.Ended, Math.Max(0, silent)));
        }

        foreach (var client in clients)
        {
            client.Dispose();
        }

        var all = rows.Skip(1).ToList(); // the first event also fills the cache
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Idle subscribers at scale: 2 gateway processes + redis-server, Medplum's engine with {latencyMs} ms per FHIR request, {subscribers} graphql-ws subscribers (half on each), {events} bookings alternating A/B, sharing {(sharing ? "on" : "off")}, carried resources {(carriedSeconds >= 0 ? carriedSeconds + " s" : "default")}{(redisTimeoutMs > 0 ? $", Redis timeout {redisTimeoutMs} ms" : string.Empty)}, {Environment.ProcessorCount} cores shared by everything (clients included), {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {loadAtStart} at the start, {LoadAverage()} at the end."));
        Console.WriteLine("Latency is from the write (the event's occurredAt: the time Redis recorded the appointment's change, right after its FHIR write was answered; its id's milliseconds) to each client's receipt, on one machine's clock; \"from sending\" is from sending the booking mutation.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{subscribers} clients connected and subscribed in {connecting.Elapsed.TotalSeconds:F1} s."));
        Console.WriteLine();
        Console.WriteLine("| booking | on | booking answered ms | delivered | ended by the gateway (error / complete / close) | told nothing | FHIR requests for delivery (A + B) | p50 ms from the write | p99 ms from the write | max ms | p99 ms from sending |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Event} | {row.Instance} | {row.Answered:F0} | {row.Delivered} | {row.Ended.Errors} / {row.Ended.Completes} / {row.Ended.Closes} | {row.Silent} | {row.Requests} ({row.RequestsA} + {row.RequestsB}) | {row.P50:F0} | {row.P99:F0} | {row.Max:F0} | {row.SentP99:F0} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| instance | RSS idle MB | RSS with subscribers MB | KB per idle subscriber |");
        Console.WriteLine("|---|---|---|---|");
        for (var i = 0; i < instances.Length; i++)
        {
            var share = subscribers / 2 + (i == 0 ? subscribers % 2 : 0);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(i == 0 ? "A" : "B")} | {idle[i]:F0} | {subscribed[i]:F0} | {(subscribed[i] - idle[i]) * 1024 / Math.Max(1, share):F1} |"));
        }

        PrintStages(instances);
        if (all.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"After the first booking (means over bookings 2..{events}): FHIR requests for delivery per event {all.Average(r => r.Requests):F1} (A {all.Average(r => r.RequestsA):F1}, B {all.Average(r => r.RequestsB):F1}), p50 {all.Average(r => r.P50):F0} ms, p99 {all.Average(r => r.P99):F0} ms from the write (worst p99 {all.Max(r => r.P99):F0} ms); KB per idle subscriber A {(subscribed[0] - idle[0]) * 1024 / Math.Max(1, subscribers - subscribers / 2):F1}, B {(subscribed[1] - idle[1]) * 1024 / Math.Max(1, subscribers / 2):F1}."));
        }
    }

    /// <summary>
    /// Each instance's own timestamps per event, in ms after the write (the event id's time): when its change-stream
    /// reader handed the change on (the bus hop), when the group's execution had its result, the serialization, and
    /// the fan-out until the last member's frame was queued (or written, when its socket was idle).
    /// </summary>
    private static void PrintStages(GatewayProcess[] instances)
    {
        Console.WriteLine();
        Console.WriteLine("| instance | event id | members | followed (bus hop) ms | result ready ms | + serialize ms | + fan-out to the last queue ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (var i = 0; i < instances.Length; i++)
        {
            var followed = instances[i].LinesContaining("stage followed ")
                .Select(l => l.Trim().Split(' '))
                .ToDictionary(w => w[2], w => w[3]["after=".Length..], StringComparer.Ordinal);
            foreach (var line in instances[i].LinesContaining("stage group "))
            {
                var words = line.Trim().Split(' ');
                string Value(string name) => words.First(w => w.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
                Console.WriteLine($"| {(i == 0 ? "A" : "B")} | {words[2]} | {Value("members")} | {followed.GetValueOrDefault(words[2], "?")} | {Value("executed")} | {Value("serialized")} | {Value("queued")} |");
            }
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Subscriptions the gateway ended during one booking, by how.</summary>
    private readonly record struct Ends(int Errors, int Completes, int Closes);

    private static double ResidentMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>The arrivals of the current booking's event: milliseconds since its write (its event id's time) and since the booking was sent.</summary>
    private sealed class Deliveries
    {
        private readonly Lock _gate = new();
        private List<double> _latencies = [];
        private List<double> _sent = [];
        private long _started = Stopwatch.GetTimestamp();

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _latencies.Count;
                }
            }
        }

        public void Start()
        {
            lock (_gate)
            {
                _latencies = [];
                _sent = [];
                _started = Stopwatch.GetTimestamp();
                _ended = default;
            }
        }

        private Ends _ended;
        private int _endedSoFar;

        /// <summary>Subscriptions ended by the gateway during the current booking.</summary>
        public Ends Ended
        {
            get
            {
                lock (_gate)
                {
                    return _ended;
                }
            }
        }

        /// <summary>Subscriptions ended by the gateway since the clients subscribed.</summary>
        public int EndedSoFar => Volatile.Read(ref _endedSoFar);

        public void End(bool error, bool complete)
        {
            lock (_gate)
            {
                _ended = error ? _ended with { Errors = _ended.Errors + 1 } : complete ? _ended with { Completes = _ended.Completes + 1 } : _ended with { Closes = _ended.Closes + 1 };
                _endedSoFar++;
            }
        }

        /// <param name="writtenAtMs">The event's occurredAt (its id's Unix milliseconds).</param>
        public void Arrived(long writtenAtMs)
        {
            var now = Stopwatch.GetTimestamp();
            var wall = DateTimeOffset.UtcNow;
            lock (_gate)
            {
                _latencies.Add((wall - DateTimeOffset.FromUnixTimeMilliseconds(writtenAtMs)).TotalMilliseconds);
                _sent.Add(Stopwatch.GetElapsedTime(_started, now).TotalMilliseconds);
            }
        }

        public (double[] FromWrite, double[] FromSending) Take()
        {
            lock (_gate)
            {
                return ([.. _latencies.Order()], [.. _sent.Order()]);
            }
        }
    }

    /// <summary>One raw graphql-transport-ws client: connect, init, subscribe, then count what arrives (small buffers: 10,000 of these share the machine).</summary>
    private sealed class Subscriber : IDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly CancellationTokenSource _stop = new();

        public static async Task<Subscriber> StartAsync(Uri gateway, string practitionerId, Deliveries deliveries)
        {
            var subscriber = new Subscriber();
            subscriber._socket.Options.AddSubProtocol("graphql-transport-ws");
            subscriber._socket.Options.SetBuffer(1024, 1024);
            await subscriber._socket.ConnectAsync(new UriBuilder(gateway) { Scheme = "ws", Path = "/graphql" }.Uri, CancellationToken.None);
            await subscriber.SendAsync("""{"type":"connection_init"}""");
            var buffer = new byte[1024];
            await subscriber._socket.ReceiveAsync(buffer, CancellationToken.None); // the ack
            await subscriber.SendAsync(JsonSerializer.Serialize(new { id = "1", type = "subscribe", payload = new { query = Watch, variables = new { practitioner = practitionerId } } }));
            _ = subscriber.ListenAsync(buffer, deliveries);
            return subscriber;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Abort();
            _socket.Dispose();
            _stop.Dispose();
        }

        private async Task ListenAsync(byte[] buffer, Deliveries deliveries)
        {
            try
            {
                var next = "\"type\":\"next\""u8.ToArray();
                var error = "\"type\":\"error\""u8.ToArray();
                var complete = "\"type\":\"complete\""u8.ToArray();
                var message = new List<byte>(1024);
                while (!_stop.IsCancellationRequested)
                {
                    message.Clear();
                    var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                    message.AddRange(buffer.AsSpan(0, result.Count));
                    while (!result.EndOfMessage)
                    {
                        result = await _socket.ReceiveAsync(buffer, _stop.Token);
                        message.AddRange(buffer.AsSpan(0, result.Count));
                    }

                    var frame = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(message);
                    var failed = frame.IndexOf(error) >= 0;
                    var completed = frame.IndexOf(complete) >= 0;
                    if (frame.IndexOf(next) >= 0)
                    {
                        deliveries.Arrived(WrittenAt(frame));
                    }

                    if (failed || completed || result.MessageType == WebSocketMessageType.Close)
                    {
                        deliveries.End(failed, completed); // the subscription (or its socket) is over: counted, so a stall is told from an end
                        return;
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        /// <summary>The Unix milliseconds of the frame's <c>extensions.eventId</c> ("ms-seq"), the event's occurredAt.</summary>
        private static long WrittenAt(ReadOnlySpan<byte> frame)
        {
            var key = "\"eventId\":\""u8;
            var at = frame.IndexOf(key);
            if (at < 0)
            {
                return 0; // no id (e.g. a refetch signal without one): shows as an absurd latency, not hidden
            }

            var digits = frame[(at + key.Length)..];
            return long.Parse(digits[..digits.IndexOf((byte)'-')], NumberStyles.None, CultureInfo.InvariantCulture);
        }

        private Task SendAsync(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
    }
}

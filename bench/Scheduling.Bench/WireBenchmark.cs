using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Telemetry;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// Where one screen's milliseconds go between the sockets and the gateway's code: the planned gateway (no cache) on
/// Kestrel against Medplum with an added latency per FHIR request, one request at a time, timed by the runtime's own
/// events (System.Net.Http for every HTTP request, ASP.NET Core hosting for the GraphQL request) and the gateway's
/// spans (the operation; each FHIR request as <see cref="FhirTelemetryHandler"/> times it). Prints the median of each
/// phase: before the operation starts, each FHIR request's parts (handlers before the send, the wire, after the
/// headers), the operation's own work between FHIR requests, and after it ends.
/// </summary>
public static partial class WireBenchmark
{
    public static async Task RunAsync(int latencyMs, int iterations)
    {
        await using var medplum = await MedplumServer.StartAsync();
        await using var services = FhirStores.Rest(medplum.FhirBaseUrl);
        var practice = await Practice.SeedAsync(services.GetRequiredService<IFhirStore>());
        await medplum.Control.PostAsync($"latency?ms={latencyMs}", null);
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = medplum.FhirBaseUrl,
            ["Fhir:RetryCount"] = "0",
            ["Fhir:Includes"] = "On",
            ["Cache:Enabled"] = "false",
            ["Booking:HoldSweepSeconds"] = "3600",
            ["ChangeFeed:PollSeconds"] = "0",
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        Console.WriteLine($"Wire: planned gateway, no cache, Medplum +{latencyMs} ms per FHIR request; {iterations} sequential requests per screen; " +
            $"{Environment.ProcessorCount} cores, load {Load()}; {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Medians in ms.");
        Console.WriteLine();
        var self = Process.GetCurrentProcess();
        await IdleAsync("after start");
        foreach (var screen in new[] { "upcoming", "week view" })
        {
            var (query, variables) = QueryBenchmark.GatewayRequest(screen, practice);
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query, variables }));
            for (var i = 0; i < 30; i++)
            {
                await RequestAsync(gateway, body);
            }

            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var items = ThreadPool.CompletedWorkItemCount;
            for (var i = 0; i < iterations; i++)
            {
                await RequestAsync(gateway, body);
            }

            process.Refresh();
            var cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / iterations;
            var kb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / iterations;
            var workItems = (ThreadPool.CompletedWorkItemCount - items) / (double)iterations;
            var rows = new List<Breakdown>(iterations);
            var unmatched = 0;
            using (var listener = new PhaseListener())
            {
                for (var i = 0; i < iterations; i++)
                {
                    listener.Clear();
                    var (sent, done, timing) = await RequestAsync(gateway, body);
                    rows.Add(listener.Break(sent, done, timing));
                }

                unmatched = listener.Unmatched;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{screen}, without the listener: this process (client and gateway, not Medplum) {cpuMs:F2} CPU ms/request, {kb:F0} KB allocated/request, {workItems:F1} thread-pool work items/request."));
            Print(screen, rows);
            Console.WriteLine($"FHIR requests left out of the per-request rows (events not matched): {unmatched}.");
            Console.WriteLine();
        }

        await IdleAsync("after the runs");
        Console.WriteLine($"Load average at the end: {Load()}.");
    }

    /// <summary>What this process burns with no request in flight (thread-pool spinning, timers, background compilation).</summary>
    private static async Task IdleAsync(string when)
    {
        var self = Process.GetCurrentProcess();
        self.Refresh();
        var from = self.TotalProcessorTime;
        var items = ThreadPool.CompletedWorkItemCount;
        await Task.Delay(2000);
        self.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Idle {when}: {(self.TotalProcessorTime - from).TotalMilliseconds / 2:F1} CPU ms per second, {(ThreadPool.CompletedWorkItemCount - items) / 2.0:F0} thread-pool work items per second, with no request."));
    }

    private static void Print(string screen, List<Breakdown> rows)
    {
        static string M(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? "–" : sorted[sorted.Count / 2].ToString("F3", CultureInfo.InvariantCulture);
        }

        Console.WriteLine($"### {screen}: {rows[0].Fhir.Count} FHIR requests");
        Console.WriteLine();
        Console.WriteLine("| phase | median ms |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| client latency | {M(rows.Select(r => r.Latency))} |");
        Console.WriteLine($"| overhead as the queries bench counts it (latency − fhir;dur) | {M(rows.Select(r => r.Latency - r.FhirDur))} |");
        Console.WriteLine($"| overhead counting each FHIR request to its body's last byte (latency − union of send→body end) | {M(rows.Select(r => r.Latency - r.FhirToBodyEnd))} |");
        Console.WriteLine($"| client send → hosting RequestStart (client, socket, Kestrel) | {M(rows.Select(r => r.BeforeHosting))} |");
        Console.WriteLine($"| hosting RequestStart → operation span start (routing, body read, request parse, rate limit) | {M(rows.Select(r => r.BeforeOperation))} |");
        Console.WriteLine($"| operation span, whole | {M(rows.Select(r => r.Operation))} |");
        Console.WriteLine($"| operation span − union of HttpClient.SendAsync calls (execution, FHIR parse, planning) | {M(rows.Select(r => r.Operation - r.HttpUnion))} |");
        Console.WriteLine($"| operation span end → client has the body (response write, wire, client) | {M(rows.Select(r => r.AfterOperation))} |");
        Console.WriteLine($"| hosting RequestStop → client has the body (negative: the pipeline returned after the client read) | {M(rows.Select(r => r.AfterHosting))} |");
        var fhir = rows.SelectMany(r => r.Fhir).ToList();
        Console.WriteLine($"| per FHIR request: SendAsync → telemetry span start (resilience, auth, logging scope) | {M(fhir.Select(f => f.BeforeSpan))} |");
        Console.WriteLine($"| per FHIR request: span start → request headers written start (telemetry, logging, pool) | {M(fhir.Select(f => f.SpanToWire))} |");
        Console.WriteLine($"| per FHIR request: request headers start → response headers read (the wire and Medplum) | {M(fhir.Select(f => f.Wire))} |");
        Console.WriteLine($"| per FHIR request: response headers read → span stop | {M(fhir.Select(f => f.HeadersToSpanEnd))} |");
        Console.WriteLine($"| per FHIR request: response headers read → body's last byte | {M(fhir.Select(f => f.Body))} |");
        Console.WriteLine($"| per FHIR request: span stop → SendAsync returns (buffering, resilience unwinding) | {M(fhir.Select(f => f.AfterSpan))} |");
        Console.WriteLine($"| per FHIR request: SendAsync whole − span | {M(fhir.Select(f => f.Whole - f.Span))} |");
        Console.WriteLine($"| per FHIR request: span (what fhir;dur counts) | {M(fhir.Select(f => f.Span))} |");
        Console.WriteLine($"| Server-Timing gateway;dur − fhir;dur | {M(rows.Select(r => r.GatewayDur - r.FhirDur))} |");
        Console.WriteLine();
    }

    private static async Task<(long Sent, long Done, string Timing)> RequestAsync(GatewayServer gateway, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var sent = Stopwatch.GetTimestamp();
        using var response = await gateway.Client.PostAsync(new Uri("/graphql", UriKind.Relative), content);
        var answer = await response.Content.ReadAsByteArrayAsync();
        var done = Stopwatch.GetTimestamp();
        if (!response.IsSuccessStatusCode || answer.AsSpan().IndexOf("\"errors\""u8) >= 0)
        {
            throw new InvalidOperationException("gateway query failed: " + Encoding.UTF8.GetString(answer.AsSpan(0, Math.Min(300, answer.Length))));
        }

        return (sent, done, response.Headers.TryGetValues("Server-Timing", out var values) ? values.First() : string.Empty);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    [GeneratedRegex(@"(\w+);dur=([0-9.]+)")]
    private static partial Regex Duration();

    private sealed record FhirPhases(double BeforeSpan, double SpanToWire, double Wire, double HeadersToSpanEnd, double Body, double AfterSpan, double Whole, double Span);

    private sealed record Breakdown(
        double Latency, double FhirDur, double GatewayDur, double FhirToBodyEnd, double BeforeHosting, double BeforeOperation, double Operation,
        double HttpUnion, double AfterOperation, double AfterHosting, List<FhirPhases> Fhir);

    private sealed record Mark(string Name, long At, Guid Activity, string? Detail);

    /// <summary>The runtime's HTTP and hosting events and the gateway's spans, stamped as they happen (synchronously, on the thread that raises them).</summary>
    private sealed class PhaseListener : EventListener
    {
        private readonly ConcurrentQueue<Mark> _marks = new();
        private readonly ActivityListener _spans;

        public PhaseListener()
        {
            _spans = new ActivityListener
            {
                ShouldListenTo = source => source.Name == GatewayTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStarted = a => _marks.Enqueue(new("span+", Stopwatch.GetTimestamp(), default, a.OperationName)),
                ActivityStopped = a => _marks.Enqueue(new("span-", Stopwatch.GetTimestamp(), default, a.OperationName)),
            };
            ActivitySource.AddActivityListener(_spans);
        }

        /// <summary>FHIR requests whose events could not be told apart from another's (left out of the per-request rows).</summary>
        public int Unmatched { get; private set; }

        public void Clear() => _marks.Clear();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            switch (eventSource.Name)
            {
                case "System.Net.Http" or "Microsoft.AspNetCore.Hosting":
                    EnableEvents(eventSource, EventLevel.Verbose);
                    break;
                case "System.Threading.Tasks.TplEventSource":
                    // Activity ids flow with async code, so the connection's events carry their request's id.
                    EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x80);
                    break;
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventSource.Name is "System.Net.Http" or "Microsoft.AspNetCore.Hosting")
            {
                var detail = e.EventName == "RequestStart" && e.Payload is { Count: >= 3 } p ? $"{p[1]}:{p[2]}" : null;
                _marks.Enqueue(new((e.EventSource.Name == "System.Net.Http" ? "http." : "host.") + e.EventName, Stopwatch.GetTimestamp(), e.ActivityId, detail));
            }
        }

        public Breakdown Break(long sent, long done, string timing)
        {
            // Hosting's RequestStop comes when the pipeline returns, which may be after the client has the answer.
            var waited = Stopwatch.StartNew();
            while (!_marks.Any(m => m.Name == "host.RequestStop") && waited.ElapsedMilliseconds < 200)
            {
                Thread.Sleep(1);
            }

            var marks = _marks.OrderBy(m => m.At).ToList();
            if (Environment.GetEnvironmentVariable("WIRE_DUMP") is "1")
            {
                foreach (var m in marks)
                {
                    Console.WriteLine($"{Ms(sent, m.At),8:F3} {m.Name,-28} {m.Activity} {m.Detail}");
                }
            }

            var durations = Duration().Matches(timing).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            long First(string name, Func<Mark, bool>? where = null) => marks.First(m => m.Name == name && (where is null || where(m))).At;
            long Last(string name, Func<Mark, bool>? where = null) => marks.Last(m => m.Name == name && (where is null || where(m))).At;
            bool IsOperation(Mark m) => m.Detail?.StartsWith("GraphQL", StringComparison.Ordinal) == true;
            bool IsFhir(Mark m) => m.Detail?.StartsWith("FHIR", StringComparison.Ordinal) == true;
            var hostStart = First("host.RequestStart");
            var hostStop = Last("host.RequestStop");
            var opStart = First("span+", IsOperation);
            var opStop = Last("span-", IsOperation);

            // The gateway's FHIR requests: System.Net.Http's RequestStart of another port than the gateway's, by activity id.
            var fhirStarts = marks.Where(m => m.Name == "http.RequestStart" && m.At > opStart && m.At < opStop).ToList();
            var spanStarts = marks.Where(m => m.Name == "span+" && IsFhir(m)).Select(m => m.At).ToList();
            var spanStops = marks.Where(m => m.Name == "span-" && IsFhir(m)).Select(m => m.At).ToList();
            var phases = new List<FhirPhases>();
            var intervals = new List<(long From, long To)>();
            var toBodyEnd = new List<(long From, long To)>();
            foreach (var start in fhirStarts)
            {
                // Matched by time: the events of the request that started last before them (a level's requests in
                // parallel would mix, so a request that overlaps another is left out of the per-request rows).
                var stop = marks.FirstOrDefault(m => m.Name == "http.RequestStop" && m.At > start.At && SameRequest(m.Activity, start.Activity))?.At ?? 0;
                if (stop == 0)
                {
                    Unmatched++;
                    continue;
                }

                intervals.Add((start.At, stop));
                var overlaps = fhirStarts.Any(o => o != start && o.At > start.At && o.At < stop) || fhirStarts.Any(o => o.At < start.At && intervals.Count > 1 && intervals[^2].To > start.At);
                var span = spanStarts.First(s => s > start.At);
                var spanEnd = spanStops.Where(s => s < stop).Last();
                // The body may be read after SendAsync returns (a response sent for its headers only): up to the next request.
                var until = fhirStarts.FirstOrDefault(o => o.At > start.At)?.At ?? opStop;
                var own = marks.Where(m => m.At > start.At && m.At <= Math.Max(stop, until) && m.Name.StartsWith("http.", StringComparison.Ordinal) && SameRequest(m.Activity, start.Activity)).ToList();
                var wireStart = own.FirstOrDefault(m => m.Name == "http.RequestHeadersStart")?.At ?? 0;
                var headers = own.FirstOrDefault(m => m.Name == "http.ResponseHeadersStop")?.At ?? 0;
                if (wireStart == 0 || headers == 0)
                {
                    Unmatched++;
                    continue;
                }

                var bodyEnd = own.FirstOrDefault(m => m.Name == "http.ResponseContentStop")?.At ?? headers;
                toBodyEnd.Add((span, Math.Max(spanEnd, bodyEnd)));
                if (!overlaps)
                {
                    phases.Add(new(Ms(start.At, span), Ms(span, wireStart), Ms(wireStart, headers), Ms(headers, spanEnd), Ms(headers, bodyEnd), Ms(spanEnd, stop), Ms(start.At, stop), Ms(span, spanEnd)));
                }
            }

            return new(
                Ms(sent, done), durations.GetValueOrDefault("fhir"), durations.GetValueOrDefault("gateway"), Union(toBodyEnd), Ms(sent, hostStart), Ms(hostStart, opStart),
                Ms(opStart, opStop), Union(intervals), Ms(opStop, done), Ms(hostStop, done), phases);
        }

        /// <summary>Activity ids of one request's events share the id's last 4 bytes' process part and first byte (its start's path).</summary>
        private static bool SameRequest(Guid a, Guid b)
        {
            Span<byte> x = stackalloc byte[16];
            Span<byte> y = stackalloc byte[16];
            a.TryWriteBytes(x);
            b.TryWriteBytes(y);
            return x[0] == y[0] && x[1] >> 4 == y[1] >> 4;
        }

        private static double Union(List<(long From, long To)> intervals)
        {
            var total = 0.0;
            long end = long.MinValue;
            foreach (var (from, to) in intervals.OrderBy(i => i.From))
            {
                var start = Math.Max(from, end);
                if (to > start)
                {
                    total += Ms(start, to);
                    end = to;
                }
            }

            return total;
        }

        public override void Dispose()
        {
            _spans.Dispose();
            base.Dispose();
        }
    }
}

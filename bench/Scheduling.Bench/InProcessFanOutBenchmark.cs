using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// The gateway's own cost of delivering one event to N subscribers, without sockets or clients: the gateway in this
/// process (embedded store), N graphql-transport-ws members built as the WebSocket endpoint builds them
/// (<see cref="WebSocketConnection"/> under a <see cref="GraphQLTransportWsServer"/>, through the pipeline and
/// <see cref="SubscriptionGroups"/>), each over a <see cref="WebSocket"/> whose stream only counts the frames written
/// to it. All watch one practitioner's appointments with nested fields; then bookings, one at a time. Per event: the
/// time from the change reaching the hub to the first and the last member's frame, and the process's CPU time and
/// allocations; run once with 1 member and once with N, the difference divided by N - 1 is the cost of one member.
/// </summary>
public static class InProcessFanOutBenchmark
{
    private const string Watch = BenchDocuments.WatchPractitioner;

    private const string Book = BenchDocuments.Book;

    public static async Task RunAsync(int members, int events, bool sharing)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"In-process fan-out: one gateway in this process (embedded store), graphql-transport-ws members over in-memory WebSockets, sharing {(sharing ? "on" : "off")}, {events} bookings after one warm-up, {Environment.ProcessorCount} cores, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}."));
        Console.WriteLine();
        Console.WriteLine("| members | first frame ms (p50) | last frame ms (p50 / max) | CPU ms per event | KB allocated per event |");
        Console.WriteLine("|---|---|---|---|---|");
        var one = await MeasureAsync(1, events, sharing);
        Print(one);
        var many = await MeasureAsync(members, events, sharing);
        Print(many);
        Console.WriteLine();
        var perMember = (many.CpuMs - one.CpuMs) * 1000 / (members - 1);
        var bytesPerMember = (many.AllocatedKb - one.AllocatedKb) * 1024 / (members - 1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Per member per event (N = {members} minus N = 1, over N - 1): {perMember:F1} µs CPU, {bytesPerMember:F0} bytes allocated; fan-out span (last frame minus first) {many.LastMs - many.FirstMs:F1} ms at p50."));
    }

    private static void Print(Measured m) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {m.Members} | {m.FirstMs:F1} | {m.LastMs:F1} / {m.LastMaxMs:F1} | {m.CpuMs:F1} | {m.AllocatedKb:F0} |"));

    private sealed record Measured(int Members, double FirstMs, double LastMs, double LastMaxMs, double CpuMs, double AllocatedKb);

    private static async Task<Measured> MeasureAsync(int members, int events, bool sharing)
    {
        var settings = new Dictionary<string, string?>(TestTokens.GatewaySettings())
        {
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["WebSockets:KeepAliveSeconds"] = "0",
            ["Booking:MaxOpenBookingsPerPatient"] = "0",
            ["Booking:HoldSweepSeconds"] = "3600",
            ["Subscriptions:MaxPerCaller"] = "100000",
            ["Subscriptions:ShareExecutions"] = sharing ? "true" : "false",
        };
        await using var gateway = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>(), slots: events + 1);
        var token = TestTokens.Scheduler();
        var frames = new Frames();
        var hub = gateway.Services.GetRequiredService<ChangeHub>();
        var listening = hub.ListenerCount;
        using var heard = hub.Listen(change =>
        {
            if (change.ResourceType == "Appointment")
            {
                frames.Heard();
            }
        });

        var connected = new List<Member>(members);
        foreach (var batch in Enumerable.Range(0, members).Chunk(200))
        {
            connected.AddRange(await Task.WhenAll(batch.Select(_ => Member.StartAsync(gateway.Services, token, world.Practitioner.Id!, frames))));
        }

        // Every member's subscription follows the change stream: one group execution, or one execution each.
        var expected = listening + 1 + (sharing ? 1 : members);
        for (var i = 0; i < 600 && hub.ListenerCount < expected; i++)
        {
            await Task.Delay(50);
        }

        await Task.Delay(500);
        await DeliverAsync(gateway, world, 0, token, frames, members); // warm-up: JIT, the group's first event, the cache

        var first = new List<double>();
        var last = new List<double>();
        GC.Collect();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (var e = 1; e <= events; e++)
        {
            var (f, l) = await DeliverAsync(gateway, world, e, token, frames, members);
            first.Add(f);
            last.Add(l);
        }

        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / events;
        var allocatedKb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / events;
        foreach (var member in connected)
        {
            await member.DisposeAsync();
        }

        return new Measured(members, Median(first), Median(last), last.Max(), cpuMs, allocatedKb);
    }

    private static async Task<(double First, double Last)> DeliverAsync(GatewayServer gateway, BookingWorld world, int slot, string token, Frames frames, int members)
    {
        frames.Start(members);
        var answer = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(slot) }, patientId = world.Patient.Id } }, token);
        if (answer["data"]?["bookAppointment"]?["appointment"] is null)
        {
            throw new InvalidOperationException("booking failed: " + answer.ToJsonString());
        }

        if (!await frames.AllAsync(TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException($"only {frames.Count} of {members} members got booking {slot}");
        }

        return frames.Times();
    }

    private static double Median(List<double> values) => values.Count == 0 ? 0 : values.Order().ElementAt(values.Count / 2);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>The current event's frames: when the hub heard the change, the first and the last member's frame.</summary>
    private sealed class Frames
    {
        private readonly Lock _gate = new();
        private long _heard;
        private long _first;
        private long _last;
        private int _count;
        private int _expected;
        private TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count => Volatile.Read(ref _count);

        public void Start(int expected)
        {
            lock (_gate)
            {
                (_heard, _first, _last, _count, _expected) = (0, 0, 0, 0, expected);
                _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public void Heard()
        {
            lock (_gate)
            {
                _heard = _heard == 0 ? Stopwatch.GetTimestamp() : _heard;
            }
        }

        public void Next()
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _first = _first == 0 ? now : _first;
                _last = now;
                if (++_count == _expected)
                {
                    _all.TrySetResult();
                }
            }
        }

        public async Task<bool> AllAsync(TimeSpan timeout)
        {
            Task all;
            lock (_gate)
            {
                all = _all.Task;
            }

            return await Task.WhenAny(all, Task.Delay(timeout)) == all;
        }

        public (double First, double Last) Times()
        {
            lock (_gate)
            {
                return (Stopwatch.GetElapsedTime(_heard, _first).TotalMilliseconds, Stopwatch.GetElapsedTime(_heard, _last).TotalMilliseconds);
            }
        }
    }

    /// <summary>One subscriber as the WebSocket endpoint builds it, over a WebSocket whose stream only counts what is written.</summary>
    private sealed class Member : IAsyncDisposable
    {
        private readonly CountingStream _stream;
        private readonly WebSocket _socket;
        private readonly WebSocketConnection _connection;
        private readonly GraphQLTransportWsServer _server;
        private readonly Task _running;

        private Member(IServiceProvider services, Frames frames)
        {
            var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = services };
            var options = services.GetRequiredService<IOptions<GraphQLWebSocketOptions>>().Value;
            _stream = new CountingStream(frames);
            _socket = WebSocket.CreateFromStream(_stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
            _connection = new WebSocketConnection(_socket, http, options.SendQueueLength, options.MaxMessageBytes, NullLogger.Instance);
            var runner = new SocketOperationRunner(http, services.GetRequiredService<GraphQLHttpRequestReader>(), services.GetRequiredService<GraphQLExecutionPipeline>(), services.GetRequiredService<StreamingOperations>());
            _server = new GraphQLTransportWsServer(_connection, http, services.GetRequiredService<IWebSocketConnectionInitHandler>(), runner, options, TimeProvider.System, NullLogger.Instance);
            _running = _connection.RunAsync(_server.ReceiveAsync);
        }

        public static async Task<Member> StartAsync(IServiceProvider services, string token, string practitionerId, Frames frames)
        {
            var member = new Member(services, frames);
            await member._server.ReceiveAsync(JsonSerializer.Serialize(new { type = "connection_init", payload = new { Authorization = "Bearer " + token } }));
            await member._server.ReceiveAsync(JsonSerializer.Serialize(new { id = "1", type = "subscribe", payload = new { query = Watch, variables = new { practitioner = practitionerId } } }));
            return member;
        }

        public async ValueTask DisposeAsync()
        {
            _stream.Close();
            await _running;
            _server.Dispose();
            _connection.Dispose();
            _socket.Dispose();
        }
    }

    /// <summary>A duplex stream for a server-side WebSocket: reads wait until it is closed, writes are counted (a graphql-transport-ws "next" frame is a delivery).</summary>
    private sealed class CountingStream(Frames frames) : Stream
    {
        private static readonly byte[] NextMarker = "\"type\":\"next\""u8.ToArray();
        private readonly CancellationTokenSource _closed = new();
        private int _closing;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Close()
        {
            if (Interlocked.Exchange(ref _closing, 1) == 0)
            {
                _closed.Cancel();
            }

            base.Close();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
                await Task.Delay(Timeout.Infinite, both.Token);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // The frame header is 2-10 bytes; the message's "type" comes within its first bytes.
            if (buffer.Span[..Math.Min(buffer.Length, 48)].IndexOf(NextMarker) >= 0)
            {
                frames.Next();
            }

            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _closing, 1) == 0)
            {
                _closed.Cancel();
            }

            base.Dispose(disposing);
        }
    }
}

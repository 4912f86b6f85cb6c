using System.Net.WebSockets;
using System.Text.Json;
using GraphQL;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using static Scheduling.Tests.Subscriptions.ResumeTests;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Subscribers with the same document, variables and access share one execution per event on an instance: it
/// follows the change stream once, runs each event once, and its result is serialized once and sent as it is to
/// every member, over WebSocket and SSE alike (counted here by the serializations of subscription results). Callers
/// whose access differs never share, and each gets only what it may see; members come and go without disturbing the
/// others, the last one ends the execution, and a resuming subscriber replays on its own, then joins the live group
/// without a repeat.
/// </summary>
public sealed class SharedExecutionTests
{
    private const string WatchPractitioner = "subscription($p: ID!) { appointmentChanged(practitionerId: $p) { kind appointmentId appointment { patient { displayName } slots { fhirId status } } } }";
    private const string WatchMine = "subscription { appointmentChanged { appointmentId appointment { patient { fhirId } } } }";

    [Fact]
    public async Task Identical_subscribers_over_WebSocket_and_SSE_share_one_execution_per_event_and_get_the_same_result()
    {
        var serializations = new SubscriptionResultCount();
        await using var gateway = await StartAsync(serializations);
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var token = TestTokens.Scheduler();
        var (hubBefore, before) = (gateway.HubListeners(), gateway.Subscribers());

        using var one = await ConnectAsync(gateway, token);
        using var two = await ConnectAsync(gateway, token);
        for (var i = 0; i < 5; i++)
        {
            await one.SendTextAsync(Subscribe("s" + i, WatchPractitioner, new { p = world.Practitioner.Id }));
            await two.SendTextAsync(Subscribe("s" + i, WatchPractitioner, new { p = world.Practitioner.Id }));
        }

        await using var sse = await GraphQLSseClient.SubscribeAsync(gateway.BaseAddress, WatchPractitioner, new { p = world.Practitioner.Id },
            bearerToken: token);
        await gateway.UntilSubscribedAsync(before, 11);
        Assert.Equal(hubBefore + 1, gateway.HubListeners()); // one execution follows the stream for all eleven

        serializations.Reset();
        await BookAsync(gateway, world, 0, world.Patient.Id!);
        await BookAsync(gateway, world, 1, world.Patient.Id!);

        var received = new List<string>();
        foreach (var socket in new[] { one, two })
        {
            var nexts = new List<(string Id, string Payload)>();
            for (var i = 0; i < 10; i++)
            {
                nexts.Add(await NextAsync(socket));
            }

            Assert.All(nexts.GroupBy(n => n.Id), g => Assert.Equal(2, g.Count()));
            received.AddRange(nexts.Select(n => n.Payload));
        }

        var overSse = new[] { await ResumeTests.NextAsync(sse.NextAsync), await ResumeTests.NextAsync(sse.NextAsync) };
        var distinct = received.Distinct().ToList();
        Assert.Equal(2, distinct.Count); // the same result for every WebSocket subscriber, event by event
        Assert.Equal(distinct.Select(Normalized).Order(), overSse.Select(r => r.GetRawText()).Select(Normalized).Order());
        Assert.All(distinct, d => Assert.Contains("BUSY", d, StringComparison.Ordinal));
        Assert.Equal(2, serializations.Count); // one execution and one serialization per event, for 11 subscribers
    }

    [Fact]
    public async Task Callers_with_different_access_never_share_and_each_gets_only_what_it_may_see()
    {
        var serializations = new SubscriptionResultCount();
        await using var gateway = await StartAsync(serializations);
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var (hubBefore, before) = (gateway.HubListeners(), gateway.Subscribers());

        // The same document, three times each, by two patients: two groups.
        using var first = await ConnectAsync(gateway, TestTokens.Patient(world.Patient.Id!));
        using var other = await ConnectAsync(gateway, TestTokens.Patient(world.OtherPatient.Id!));
        for (var i = 0; i < 3; i++)
        {
            await first.SendTextAsync(Subscribe("s" + i, WatchMine));
            await other.SendTextAsync(Subscribe("s" + i, WatchMine));
        }

        await gateway.UntilSubscribedAsync(before, 6);
        serializations.Reset();
        await BookAsync(gateway, world, 0, world.Patient.Id!);
        await BookAsync(gateway, world, 1, world.OtherPatient.Id!);
        foreach (var (socket, patient) in new[] { (first, world.Patient.Id), (other, world.OtherPatient.Id) })
        {
            for (var i = 0; i < 3; i++)
            {
                var (_, payload) = await NextAsync(socket);
                Assert.Equal(patient, JsonDocument.Parse(payload).RootElement.GetProperty("data").GetProperty("appointmentChanged")
                    .GetProperty("appointment").GetProperty("patient").GetProperty("fhirId").GetString());
            }
        }

        Assert.Equal(2, serializations.Count); // each booking executed once, by the one group that may see it
        Assert.Equal(hubBefore + 2, gateway.HubListeners()); // one execution per patient
    }

    [Fact]
    public async Task Members_come_and_go_without_disturbing_the_others_and_the_last_one_ends_the_execution()
    {
        await using var gateway = await StartAsync(new SubscriptionResultCount());
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var groups = gateway.Services.GetRequiredService<SubscriptionGroups>();
        var (hubBefore, before) = (gateway.HubListeners(), gateway.Subscribers());
        using var socket = await ConnectAsync(gateway, TestTokens.Scheduler());
        foreach (var id in new[] { "a", "b", "c" })
        {
            await socket.SendTextAsync(Subscribe(id, WatchPractitioner, new { p = world.Practitioner.Id }));
        }

        await gateway.UntilSubscribedAsync(before, 3);
        await socket.SendTextAsync("""{"id":"b","type":"complete"}""");
        await gateway.UntilUnsubscribedAsync(before, staying: 2);
        await BookAsync(gateway, world, 0, world.Patient.Id!);
        Assert.Equal(["a", "c"], new[] { (await NextAsync(socket)).Id, (await NextAsync(socket)).Id }.Order());

        await socket.SendTextAsync("""{"id":"a","type":"complete"}""");
        await socket.SendTextAsync("""{"id":"c","type":"complete"}""");
        await UntilAsync(() => gateway.HubListeners() == hubBefore);
        Assert.Equal((0, 0), (groups.Count, groups.Members));

        // A new subscriber starts a new execution.
        await socket.SendTextAsync(Subscribe("d", WatchPractitioner, new { p = world.Practitioner.Id }));
        await gateway.UntilSubscribedAsync(before);
        await BookAsync(gateway, world, 1, world.Patient.Id!);
        Assert.Equal("d", (await NextAsync(socket)).Id);
    }

    [Fact]
    public async Task A_resuming_subscriber_replays_what_it_missed_on_its_own_then_joins_the_live_execution_without_repeats()
    {
        await using var gateway = await StartAsync(new SubscriptionResultCount());
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>(), slots: 5);
        var token = TestTokens.Scheduler();
        var watching = new { p = world.Practitioner.Id };
        var (hubBefore, before) = (gateway.HubListeners(), gateway.Subscribers());
        using var live = await ConnectAsync(gateway, token);
        await live.SendTextAsync(Subscribe("live", WatchPractitioner, watching));
        string lastId;
        using (var leaving = await ConnectAsync(gateway, token))
        {
            await leaving.SendTextAsync(Subscribe("r", WatchPractitioner, watching));
            await gateway.UntilSubscribedAsync(before, 2);
            await BookAsync(gateway, world, 0, world.Patient.Id!);
            lastId = EventIdOf(JsonDocument.Parse((await NextAsync(leaving)).Payload).RootElement);
            leaving.Abort();
        }

        await gateway.UntilUnsubscribedAsync(before, staying: 1);
        await BookAsync(gateway, world, 1, world.Patient.Id!);
        await BookAsync(gateway, world, 2, world.Patient.Id!);

        using var back = await ConnectAsync(gateway, token);
        await back.SendTextAsync(JsonSerializer.Serialize(new
        {
            id = "r",
            type = "subscribe",
            payload = new { query = WatchPractitioner, variables = watching, extensions = new { lastEventId = lastId } },
        }));
        var missed = new[] { await NextAsync(back), await NextAsync(back) };
        Assert.Equal([world.SlotId(1), world.SlotId(2)], missed.Select(m => SlotIdOf(m.Payload)));
        await gateway.UntilSubscribedAsync(before, 2);
        Assert.Equal(hubBefore + 1, gateway.HubListeners()); // it joined the live execution, with no follower of its own

        await BookAsync(gateway, world, 3, world.Patient.Id!);
        await BookAsync(gateway, world, 4, world.Patient.Id!);
        Assert.Equal([world.SlotId(3), world.SlotId(4)], new[] { await NextAsync(back), await NextAsync(back) }.Select(m => SlotIdOf(m.Payload)));
        var liveIds = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            liveIds.Add(SlotIdOf((await NextAsync(live)).Payload));
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(world.SlotId), liveIds);
    }

    private static Task<GatewayServer> StartAsync(SubscriptionResultCount counter) =>
        GatewayServer.StartAsync(
            new Dictionary<string, string?>(TestTokens.GatewaySettings()) { ["GraphQL:RateLimitPerSecond"] = "0" },
            services => counter.Decorate(services));

    private static Task<ClientWebSocket> ConnectAsync(GatewayServer gateway, string token) =>
        RawSocket.ConnectAndInitAsync(gateway, JsonSerializer.Serialize(new { Authorization = "Bearer " + token }));

    private static string Subscribe(string id, string query, object? variables = null) =>
        JsonSerializer.Serialize(new { id, type = "subscribe", payload = new { query, variables } });

    private static async Task<(string Id, string Payload)> NextAsync(ClientWebSocket socket)
    {
        var message = JsonDocument.Parse(await socket.ReceiveUntilAsync(m => m.Contains("\"next\"", StringComparison.Ordinal))).RootElement;
        return (message.GetProperty("id").GetString()!, message.GetProperty("payload").GetRawText());
    }

    private static async Task BookAsync(GatewayServer gateway, BookingWorld world, int slot, string patientId)
    {
        var booked = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(slot) }, patientId } }, TestTokens.Scheduler());
        Assert.NotNull(booked.At("data.bookAppointment.appointment.fhirId"));
    }

    private static string? SlotIdOf(string payload) => SlotOf(JsonDocument.Parse(payload).RootElement);

    private static string Normalized(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);

    /// <summary>Counts the subscription results the gateway serializes (one per execution of an event).</summary>
    private sealed class SubscriptionResultCount
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Reset() => Volatile.Write(ref _count, 0);

        public void Decorate(IServiceCollection services)
        {
            var original = services.Last(d => d.ServiceType == typeof(IGraphQLTextSerializer));
            services.AddSingleton<IGraphQLTextSerializer>(provider => new Counting(
                (IGraphQLTextSerializer)(original.ImplementationInstance ?? original.ImplementationFactory?.Invoke(provider) ??
                                         ActivatorUtilities.CreateInstance(provider, original.ImplementationType!)),
                this));
        }

        private sealed class Counting(IGraphQLTextSerializer inner, SubscriptionResultCount count) : IGraphQLTextSerializer
        {
            public bool IsNativelyAsync => inner.IsNativelyAsync;

            public string Serialize<T>(T? value)
            {
                var text = inner.Serialize(value);
                if (value is ExecutionResult && text.Contains("\"appointmentChanged\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref count._count);
                }

                return text;
            }

            public T? Deserialize<T>(string? value) => inner.Deserialize<T>(value);

            public Task WriteAsync<T>(Stream stream, T? value, CancellationToken cancellationToken = default) => inner.WriteAsync(stream, value, cancellationToken);

            public ValueTask<T?> ReadAsync<T>(Stream stream, CancellationToken cancellationToken = default) => inner.ReadAsync<T>(stream, cancellationToken);

            public T? ReadNode<T>(object? value) => inner.ReadNode<T>(value);
        }
    }
}

using System.Text.Json;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Resuming after a reconnect, with the reference clients (graphql-ws and graphql-sse from npm), two gateway
/// instances on Medplum's engine and a real redis-server: a client that comes back with its last event fhirId receives
/// exactly what it missed, in order, from either instance, then the live events without a gap or a repeat.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class ResumeTests(MedplumFixture medplum)
{
    internal const string Book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename } } }";
    internal const string Watch = "subscription($p: ID!) { appointmentChanged(practitionerId: $p) { kind refetch { reason eventId } appointment { slots { fhirId } } } }";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Clients_that_reconnect_with_their_last_event_id_get_the_three_bookings_they_missed_in_order_then_live_ones()
    {
        await using var redis = await RedisServer.StartAsync();
        // No change feed: every change reaches the other instance through the Redis stream only.
        var settings = medplum.Settings(("Redis:Configuration", redis.Configuration), ("ChangeFeed:PollSeconds", "0"));
        await using var a = await GatewayServer.StartAsync(settings);
        await using var b = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(medplum.Store, slots: 5);
        var watching = new { p = world.Practitioner.Id };

        // Both clients receive one booking: the fhirId they will come back with.
        var before = a.Subscribers();
        var ws = await GraphQLWsClient.SubscribeAsync(a.BaseAddress, Watch, watching, count: 2, timeoutMs: 120_000);
        var sse = await GraphQLSseClient.SubscribeAsync(a.BaseAddress, Watch, watching, timeoutMs: 120_000);
        await a.UntilSubscribedAsync(before, 2);
        await BookAsync(a, world, 0);
        var wsFirst = await NextAsync(ws.NextAsync);
        var sseFirst = await NextAsync(sse.NextAsync);
        Assert.Equal(world.SlotId(0), SlotOf(wsFirst));
        var lastId = EventIdOf(wsFirst);
        Assert.Equal(lastId, EventIdOf(sseFirst));

        // They lose their connections; three bookings happen meanwhile, one of them on the other instance.
        await ws.DisposeAsync();
        await sse.DisposeAsync();
        await a.UntilUnsubscribedAsync(before);
        await BookAsync(a, world, 1);
        await BookAsync(b, world, 2);
        await BookAsync(a, world, 3);

        // They come back, the WebSocket one on the other instance, each with the last fhirId it received.
        var beforeA = a.Subscribers();
        var beforeB = b.Subscribers();
        await using var wsBack = await GraphQLWsClient.SubscribeAsync(b.BaseAddress, Watch, watching, count: 4, timeoutMs: 120_000,
            extensions: new { lastEventId = lastId });
        await using var sseBack = await GraphQLSseClient.SubscribeAsync(a.BaseAddress, Watch, watching, timeoutMs: 120_000,
            headers: new Dictionary<string, string> { ["Last-Event-ID"] = lastId });
        var wsMissed = new[] { await NextAsync(wsBack.NextAsync), await NextAsync(wsBack.NextAsync), await NextAsync(wsBack.NextAsync) };
        var sseMissed = new[] { await NextAsync(sseBack.NextAsync), await NextAsync(sseBack.NextAsync), await NextAsync(sseBack.NextAsync) };
        foreach (var missed in new[] { wsMissed, sseMissed })
        {
            Assert.Equal([world.SlotId(1), world.SlotId(2), world.SlotId(3)], missed.Select(SlotOf));
            AssertIncreasing([lastId, .. missed.Select(EventIdOf)]);
        }

        Assert.Equal(wsMissed.Select(EventIdOf), sseMissed.Select(EventIdOf));

        // Then live: the next booking, neither lost nor preceded by a repeat of what was replayed.
        await b.UntilSubscribedAsync(beforeB);
        await a.UntilSubscribedAsync(beforeA);
        await BookAsync(b, world, 4);
        var wsLive = await NextAsync(wsBack.NextAsync);
        var sseLive = await NextAsync(sseBack.NextAsync);
        Assert.Equal((world.SlotId(4), world.SlotId(4)), (SlotOf(wsLive), SlotOf(sseLive)));
        AssertIncreasing([EventIdOf(wsMissed[^1]), EventIdOf(wsLive)]);
        Assert.Equal(EventIdOf(wsLive), EventIdOf(sseLive));
    }

    internal static async Task BookAsync(GatewayServer gateway, BookingWorld world, int slot)
    {
        var booked = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(slot) }, patientId = world.Patient.Id } });
        Assert.NotNull(booked.At("data.bookAppointment.appointment.fhirId"));
    }

    /// <summary>The next result a client printed (either client's line: <c>{"event":"next","data":result}</c>).</summary>
    internal static async Task<JsonElement> NextAsync(Func<TimeSpan, Task<JsonElement?>> next)
    {
        var line = await next(Wait);
        Assert.True(line?.GetProperty("event").GetString() == "next", "expected a next event, got " + line);
        return line!.Value.GetProperty("data");
    }

    internal static string EventIdOf(JsonElement result) => result.GetProperty("extensions").GetProperty("eventId").GetString()!;

    /// <summary>The booked slot of an appointment event (a refetch signal, kind <c>REFETCH_REQUIRED</c>, fails here).</summary>
    internal static string? SlotOf(JsonElement result)
    {
        var changed = result.GetProperty("data").GetProperty("appointmentChanged");
        Assert.Equal("CREATED", changed.GetProperty("kind").GetString());
        if (changed.TryGetProperty("refetch", out var refetch))
        {
            Assert.Equal(JsonValueKind.Null, refetch.ValueKind);
        }

        return changed.GetProperty("appointment").GetProperty("slots")[0].GetProperty("fhirId").GetString();
    }

    internal static void AssertIncreasing(IReadOnlyList<string> ids)
    {
        var parsed = ids.Select(i => ChangeEventId.TryParse(i, out var id) ? id : throw new Xunit.Sdk.XunitException("not an event id: " + i)).ToList();
        for (var i = 1; i < parsed.Count; i++)
        {
            Assert.True(parsed[i - 1] < parsed[i], $"event ids out of order: {string.Join(", ", ids)}");
        }
    }

    internal static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition(), "condition not met within 10 s");
    }
}

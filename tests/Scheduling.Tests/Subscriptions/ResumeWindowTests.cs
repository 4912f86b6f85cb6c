using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using static Scheduling.Tests.Subscriptions.ResumeTests;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Past the retention window (one second here), or with an fhirId the stream never gave out, a reconnecting client is
/// told to refetch (a typed event: kind <c>REFETCH_REQUIRED</c> with its <c>refetch { reason eventId }</c>, no error)
/// and then receives the live events: with the reference clients, on one instance (embedded store), over the in-process
/// bus and over a real redis-server; for <c>appointmentChanged</c> and <c>slotsChanged</c>.
/// </summary>
public sealed class ResumeWindowTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Past_the_retention_window_a_reconnecting_client_is_told_to_refetch_then_gets_live_events(bool overRedis)
    {
        await using var redis = overRedis ? await RedisServer.StartAsync() : null;
        var settings = new Dictionary<string, string?> { ["Subscriptions:RetentionSeconds"] = "1" };
        if (redis is not null)
        {
            settings["Redis:Configuration"] = redis.Configuration;
        }

        await using var gateway = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var watching = new { p = world.Practitioner.Id };
        var before = gateway.Subscribers();
        var first = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, Watch, watching, count: 1, timeoutMs: 60_000);
        await gateway.UntilSubscribedAsync(before);
        await BookAsync(gateway, world, 0);
        var lastId = EventIdOf(await NextAsync(first.NextAsync));
        await first.DisposeAsync();
        await gateway.UntilUnsubscribedAsync(before);

        await BookAsync(gateway, world, 1);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // past the window

        await using var ws = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, Watch, watching, count: 2, timeoutMs: 60_000,
            extensions: new { lastEventId = lastId });
        await using var sse = await GraphQLSseClient.SubscribeAsync(gateway.BaseAddress, Watch, watching,
            headers: new Dictionary<string, string> { ["Last-Event-ID"] = lastId });
        await using var unknown = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, Watch, watching, count: 2, timeoutMs: 60_000,
            extensions: new { lastEventId = "not-an-event-id" });
        await using var slots = await GraphQLSseClient.SubscribeAsync(gateway.BaseAddress, WatchSlots, new { s = world.Schedule.Id },
            headers: new Dictionary<string, string> { ["Last-Event-ID"] = lastId });
        var signals = new[] { await NextAsync(ws.NextAsync), await NextAsync(sse.NextAsync), await NextAsync(unknown.NextAsync) };
        Assert.Equal(["EXPIRED", "EXPIRED", "UNKNOWN_EVENT_ID"], signals.Select(s => RefetchReasonOf(s, "appointmentChanged", "appointment")));
        if (redis is not null)
        {
            // Over Redis the window is the stream's, whichever instance the client comes back to: on another one
            // (started after the events: its reader never saw them) both reference clients get the same signal.
            await using var other = await GatewayServer.StartAsync(settings);
            await using var wsElsewhere = await GraphQLWsClient.SubscribeAsync(other.BaseAddress, Watch, watching, count: 1, timeoutMs: 60_000,
                extensions: new { lastEventId = lastId });
            await using var sseElsewhere = await GraphQLSseClient.SubscribeAsync(other.BaseAddress, Watch, watching,
                headers: new Dictionary<string, string> { ["Last-Event-ID"] = lastId });
            Assert.Equal(["EXPIRED", "EXPIRED"], new[] { await NextAsync(wsElsewhere.NextAsync), await NextAsync(sseElsewhere.NextAsync) }.Select(s => RefetchReasonOf(s, "appointmentChanged", "appointment")));
        }

        Assert.Equal("EXPIRED", RefetchReasonOf(await NextAsync(slots.NextAsync), "slotsChanged", "slot"));
        // From the signal on, the stream goes on live: its fhirId is where a later resume would start.
        AssertIncreasing([lastId, EventIdOf(signals[0])]);

        await gateway.UntilSubscribedAsync(before, 4);
        await BookAsync(gateway, world, 2);
        foreach (var client in new Func<TimeSpan, Task<JsonElement?>>[] { ws.NextAsync, sse.NextAsync, unknown.NextAsync })
        {
            Assert.Equal(world.SlotId(2), SlotOf(await NextAsync(client)));
        }
    }

    [Fact]
    public async Task An_event_streams_next_events_carry_the_event_id_as_their_id_field()
    {
        await using var gateway = await GatewayServer.StartAsync();
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var before = gateway.Subscribers();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query = Watch, variables = new { p = world.Practitioner.Id } }),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await gateway.UntilSubscribedAsync(before);
        await BookAsync(gateway, world, 0);

        var fields = new Dictionary<string, string>();
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)) is { } line && (line.Length > 0 || !fields.ContainsKey("event")))
        {
            if (line.StartsWith(':') || line.Length == 0)
            {
                continue; // keep-alive
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            fields[line[..colon]] = line[(colon + 1)..].TrimStart();
        }

        Assert.Equal("next", fields["event"]);
        Assert.Equal(EventIdOf(JsonDocument.Parse(fields["data"]).RootElement), fields["id"]);
    }

    private const string WatchSlots = "subscription($s: ID!) { slotsChanged(scheduleIds: [$s]) { kind slotId slot { fhirId } refetch { reason eventId } } }";

    /// <summary>The reason of a typed refetch event: data, not an error; no resource; the event fhirId where the stream stands.</summary>
    private static string? RefetchReasonOf(JsonElement result, string field, string resource)
    {
        Assert.False(result.TryGetProperty("errors", out _), "a refetch signal is not an error: " + result);
        var changed = result.GetProperty("data").GetProperty(field);
        Assert.Equal("REFETCH_REQUIRED", changed.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, changed.GetProperty(resource).ValueKind);
        var refetch = changed.GetProperty("refetch");
        var eventId = refetch.GetProperty("eventId");
        Assert.Equal(
            result.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("eventId", out var id) ? id.GetString() : null,
            eventId.ValueKind == JsonValueKind.Null ? null : eventId.GetString());
        return refetch.GetProperty("reason").GetString();
    }
}

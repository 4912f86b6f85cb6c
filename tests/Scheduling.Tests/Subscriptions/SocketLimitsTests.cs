using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// What one WebSocket may hold: at most so many operations and subscriptions at once (over a cap, that operation
/// gets a coded error and everything else carries on), and only from the gateway's own or an allowed browser origin.
/// </summary>
public sealed class SocketLimitsTests
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } } }
        """;

    private static string Subscribe(string id, string scheduleId) => JsonSerializer.Serialize(new
    {
        id,
        type = "subscribe",
        payload = new { query = "subscription($s: [ID!]!) { slotsChanged(scheduleIds: $s) { slotId } }", variables = new { s = new[] { scheduleId } } },
    });

    private static string Query(string id) => JsonSerializer.Serialize(new
    {
        id,
        type = "subscribe",
        payload = new { query = "{ practitioner(id: \"alice-smith\") { displayName } }" },
    });

    [Fact]
    public async Task The_subscription_over_the_cap_gets_TOO_MANY_SUBSCRIPTIONS_and_the_others_keep_working()
    {
        await using var gateway = await StartAsync(operations: 3, subscriptions: 2);
        var (world, socket, before) = await TwoSubscriptionsAsync(gateway);
        using var _ = socket;

        await socket.SendTextAsync(Subscribe("s3", world.Schedule.Id!));
        Assert.Equal("TOO_MANY_SUBSCRIPTIONS", await ErrorCodeAsync(socket, "s3"));

        // A query is not a subscription: it still fits (3 operations) and runs.
        await socket.SendTextAsync(Query("q"));
        var answer = JsonDocument.Parse(await socket.ReceiveUntilAsync(m => m.Contains("\"q\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("next", answer.GetProperty("type").GetString());

        // The two admitted subscriptions still deliver.
        await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var delivered = new HashSet<string>();
        while (delivered.Count < 2)
        {
            var next = JsonDocument.Parse(await socket.ReceiveUntilAsync(m => m.Contains("\"next\"", StringComparison.Ordinal))).RootElement;
            delivered.Add(next.GetProperty("id").GetString()!);
        }

        Assert.Equal(["s1", "s2"], delivered.Order());
        Assert.Equal(2, gateway.SubscribedSince(before).Count);
    }

    [Fact]
    public async Task The_operation_over_the_cap_gets_TOO_MANY_OPERATIONS_until_one_completes()
    {
        await using var gateway = await StartAsync(operations: 2, subscriptions: 2);
        var (world, socket, before) = await TwoSubscriptionsAsync(gateway);
        using var _ = socket;

        await socket.SendTextAsync(Query("q1"));
        Assert.Equal("TOO_MANY_OPERATIONS", await ErrorCodeAsync(socket, "q1"));
        Assert.Equal(WebSocketState.Open, socket.State);

        // Completing one makes room; the refused id may be used again.
        await socket.SendTextAsync("""{"id":"s2","type":"complete"}""");
        await gateway.UntilUnsubscribedAsync(before, staying: 1);

        await socket.SendTextAsync(Query("q1"));
        var answer = JsonDocument.Parse(await socket.ReceiveUntilAsync(m => m.Contains("\"q1\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("next", answer.GetProperty("type").GetString());

        await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var next = JsonDocument.Parse(await socket.ReceiveUntilAsync(m => m.Contains("\"next\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("s1", next.GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_caps_default_to_100_operations_and_50_subscriptions_and_a_subscription_cap_above_the_operation_cap_stops_start_up()
    {
        await using (var gateway = await GatewayServer.StartAsync())
        {
            var options = gateway.Services.GetRequiredService<IOptions<GraphQLWebSocketOptions>>().Value;
            Assert.Equal((100, 50), (options.MaxOperationsPerSocket, options.MaxSubscriptionsPerSocket));
        }

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(operations: 5, subscriptions: 6));
        Assert.Contains("MaxSubscriptionsPerSocket", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upgrade_from_another_browser_origin_is_refused_with_403_and_the_own_an_allowed_or_no_origin_is_accepted()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://app.example.org" });
        var own = gateway.BaseAddress.GetLeftPart(UriPartial.Authority);
        foreach (var origin in new[] { "https://evil.example.net", "null", "https://app.example.org.evil.example.net", "http://app.example.org", "https://app.example.org:8443" })
        {
            using var refused = new ClientWebSocket();
            refused.Options.AddSubProtocol(GraphQLWebSocketEndpoint.SubProtocol);
            refused.Options.SetRequestHeader("Origin", origin);
            refused.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(WebSocketUrl(gateway), CancellationToken.None));
            Assert.True(HttpStatusCode.Forbidden == refused.HttpStatusCode, $"{origin}: {refused.HttpStatusCode}");
        }

        foreach (var origin in new[] { "https://app.example.org", own, null })
        {
            using var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol(GraphQLWebSocketEndpoint.SubProtocol);
            if (origin is not null)
            {
                socket.Options.SetRequestHeader("Origin", origin);
            }

            await socket.ConnectAsync(WebSocketUrl(gateway), CancellationToken.None);
            await socket.SendTextAsync("""{"type":"connection_init"}""");
            Assert.Equal("""{"type":"connection_ack"}""", await socket.ReceiveUntilAsync(_ => true));
        }
    }

    [Fact]
    public async Task An_allowed_origin_that_is_not_an_origin_stops_start_up()
    {
        foreach (var origin in new[] { "*", "https://app.example.org/", "https://app.example.org/path", "app.example.org" })
        {
            var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = origin }));
            Assert.Contains("Cors:AllowedOrigins", refused.Message, StringComparison.Ordinal);
        }
    }

    private static Task<GatewayServer> StartAsync(int operations, int subscriptions) => GatewayServer.StartAsync(new Dictionary<string, string?>
    {
        ["WebSockets:MaxOperationsPerSocket"] = operations.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["WebSockets:MaxSubscriptionsPerSocket"] = subscriptions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["WebSockets:KeepAliveSeconds"] = "0",
    });

    /// <summary>A booking world, and a socket with two subscriptions (s1, s2) to its schedule's slots, both live.</summary>
    private static async Task<(BookingWorld World, ClientWebSocket Socket, SubscriberMark Before)> TwoSubscriptionsAsync(GatewayServer gateway)
    {
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var socket = await RawSocket.ConnectAndInitAsync(gateway);
        var before = gateway.Subscribers();
        await socket.SendTextAsync(Subscribe("s1", world.Schedule.Id!));
        await socket.SendTextAsync(Subscribe("s2", world.Schedule.Id!));
        await gateway.UntilSubscribedAsync(before, 2);
        return (world, socket, before);
    }

    private static Uri WebSocketUrl(GatewayServer gateway) => new UriBuilder(gateway.GraphQLUrl) { Scheme = "ws" }.Uri;

    private static async Task<string> ErrorCodeAsync(ClientWebSocket socket, string id)
    {
        var message = JsonDocument.Parse(await socket.ReceiveUntilAsync(m => m.Contains($"\"{id}\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("error", message.GetProperty("type").GetString());
        return message.GetProperty("payload")[0].GetProperty("extensions").GetProperty("code").GetString()!;
    }
}

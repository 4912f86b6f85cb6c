using System.Net.WebSockets;
using System.Text;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>A client that stops reading is closed when its send queue fills; every other client keeps receiving.</summary>
public sealed class SlowClientTests
{
    [Fact]
    public async Task A_client_that_stops_reading_is_closed_and_nobody_else_waits_for_it()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["WebSockets:SendQueueLength"] = "64" });
        var endpoint = gateway.Services.GetRequiredService<GraphQLWebSocketEndpoint>();
        const int events = 400;
        var before = gateway.Subscribers();
        await using var reader = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress,
            """subscription { slotsChanged(scheduleIds: ["flood"]) { slotId } }""", count: events, timeoutMs: 60000);
        await gateway.UntilSubscribedAsync(before);

        // The slow client subscribes to big events and then never reads again.
        using var slow = new ClientWebSocket();
        slow.Options.AddSubProtocol(GraphQLWebSocketEndpoint.SubProtocol);
        await slow.ConnectAsync(new UriBuilder(gateway.GraphQLUrl) { Scheme = "ws" }.Uri, CancellationToken.None);
        await slow.SendAsync(Encoding.UTF8.GetBytes("""{"type":"connection_init"}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        await slow.ReceiveAsync(new byte[1024], CancellationToken.None);
        await slow.SendAsync(Encoding.UTF8.GetBytes("""{"id":"1","type":"subscribe","payload":{"query":"subscription { slotsChanged(scheduleIds: [\"flood\"]) { slotId slot { comment } } }"}}"""),
            WebSocketMessageType.Text, true, CancellationToken.None);
        await gateway.UntilSubscribedAsync(before, 2);
        Assert.Equal(2, endpoint.Connections);

        var hub = gateway.Services.GetRequiredService<ChangeHub>();
        var comment = new string('x', 64 * 1024);
        for (var i = 0; i < events; i++)
        {
            await hub.PublishAsync(ResourceChange.From(new Slot
            {
                Id = "flood-" + i,
                Meta = new Meta { VersionId = "1", LastUpdated = DateTimeOffset.UtcNow },
                Schedule = new ResourceReference("Schedule/flood"),
                Status = Slot.SlotStatus.Free,
                Start = DateTimeOffset.UtcNow.AddDays(1),
                End = DateTimeOffset.UtcNow.AddDays(1).AddMinutes(30),
                Comment = comment,
            }, ChangeKind.Created, "test"));
            await Task.Delay(2); // a steady stream a reading client keeps up with; the queue bounds bursts, not rates
        }

        // ~25 MB for a client that reads nothing: far more than the socket buffers and its queue of 64.
        Assert.Equal(events, (await reader.CollectAsync(TimeSpan.FromSeconds(30))).Count);

        // The reader leaves once it has all its events; the slow client must have been cut off, not left hanging.
        for (var i = 0; i < 100 && endpoint.Connections > 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, endpoint.Connections);
    }
}

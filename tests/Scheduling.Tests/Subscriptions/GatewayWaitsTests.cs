using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// The wait every subscription test shares (<see cref="GatewayWaits"/>) follows the test's own subscriber. Tests of a
/// class share one gateway: an earlier test's subscriber may still be leaving when the next one marks who listens and
/// subscribes. A count read before and compared after cannot see the new subscriber then (one left, one came: the
/// count is where it was; "the subscription did not start" after 15 s, SubscriptionTests in a clean-clone CI). Here the
/// earlier subscriber leaves exactly while the next one starts, every time.
/// </summary>
public sealed class GatewayWaitsTests
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } } }
        """;

    [Fact]
    public async Task A_subscriber_leaving_while_a_test_waits_for_its_own_neither_hides_it_nor_stands_in_for_it()
    {
        await using var gateway = await GatewayServer.StartAsync();
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        using var socket = await RawSocket.ConnectAndInitAsync(gateway);
        var start = gateway.Subscribers();
        await socket.SendTextAsync(Subscribe("earlier", "another-schedule"));
        var earlier = Assert.Single(await gateway.UntilSubscribedAsync(start));

        // The next test marks who listens (the earlier subscriber still does), then subscribes as the earlier one leaves.
        var before = gateway.Subscribers();
        await socket.SendTextAsync("""{"id":"earlier","type":"complete"}""");
        await socket.SendTextAsync(Subscribe("mine", world.Schedule.Id!));
        var mine = Assert.Single(await gateway.UntilSubscribedAsync(before));
        Assert.NotSame(earlier.Receiver, mine.Receiver);
        await gateway.UntilUnsubscribedAsync(start, staying: 1);
        Assert.Same(mine.Receiver, Assert.Single(gateway.SubscribedSince(start)).Receiver);

        // Live once the wait returns: the booking made right after reaches it.
        await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var next = JsonDocument.Parse(await socket.ReceiveUntilAsync(m => m.Contains("\"next\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("mine", next.GetProperty("id").GetString());
    }

    private static string Subscribe(string id, string scheduleId) => JsonSerializer.Serialize(new
    {
        id,
        type = "subscribe",
        payload = new { query = "subscription($s: [ID!]!) { slotsChanged(scheduleIds: $s) { slotId } }", variables = new { s = new[] { scheduleId } } },
    });
}

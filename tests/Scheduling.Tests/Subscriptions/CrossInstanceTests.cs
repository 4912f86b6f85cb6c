using System.Net;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Subscriptions;

/// <summary>Two gateway instances and a real redis-server: a booking on one reaches a subscriber on the other,
/// and keeps doing so after Redis dies and comes back.</summary>
[Collection(MedplumCollection.Name)]
public sealed class CrossInstanceTests(MedplumFixture medplum)
{
    private const string Book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename } } }";

    [Fact]
    public async Task A_booking_on_one_instance_reaches_a_subscriber_on_the_other_across_a_Redis_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        // No change feed: what B learns of A's bookings can only come over Redis.
        var settings = medplum.Settings(("Redis:Configuration", redis.Configuration), ("ChangeFeed:PollSeconds", "0"));
        await using var a = await GatewayServer.StartAsync(settings);
        await using var b = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(medplum.Store);
        Assert.Equal(HttpStatusCode.OK, (await a.Client.GetAsync("/health/ready")).StatusCode);

        var before = b.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(b.BaseAddress,
            "subscription($p: ID!) { appointmentChanged(practitionerId: $p) { kind appointment { slots { fhirId } } } }",
            new { p = world.Practitioner.Id }, count: 2, timeoutMs: 60000);
        await b.UntilSubscribedAsync(before);

        await a.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var first = await client.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("next", first?.GetProperty("event").GetString());

        await redis.KillAsync();
        await UntilAsync(async () => (await a.Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable);
        // Without Redis the gateway still serves.
        var query = await a.QueryAsync("query($id: ID!) { schedule(id: $id) { fhirId } }", new { id = world.Schedule.Id });
        Assert.Equal(world.Schedule.Id, query.At("data.schedule.fhirId")!.GetValue<string>());

        await redis.StartAgainAsync();
        await UntilAsync(async () => (await a.Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK &&
                                     (await b.Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK);
        await a.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(1) }, patientId = world.Patient.Id } });

        var second = await client.NextAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("next", second?.GetProperty("event").GetString());
        Assert.Equal(world.SlotId(1), second!.Value.GetProperty("data").GetProperty("data").GetProperty("appointmentChanged")
            .GetProperty("appointment").GetProperty("slots")[0].GetProperty("fhirId").GetString());
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 150; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("condition not met within 15 s");
    }
}

using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using static Scheduling.Testing.GraphQLMutations;

namespace Scheduling.Tests.Webhooks;

/// <summary>
/// Two gateway instances sharing one FHIR store and a real redis-server: both follow the change stream, both run a
/// dispatcher, and still each event reaches the receiver once (the first enqueue of an event id wins, and a claim
/// holds a job for one instance), whichever instance made the change.
/// </summary>
public sealed class WebhookCrossInstanceTests
{
    private const string Book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } " + Errors + " } }";
    private const string Cancel = "mutation($input: CancelAppointmentInput!) { cancelAppointment(input: $input) { appointment { fhirId } " + Errors + " } }";

    [Fact]
    public async Task Two_instances_sharing_Redis_deliver_each_event_once()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        Dictionary<string, string?> Settings(bool seed) => new()
        {
            ["Redis:Configuration"] = redis.Configuration,
            ["Fhir:Seed"] = seed ? "true" : "false",
            ["Webhooks:Enabled"] = "true",
            ["Webhooks:SigningKey"] = "webhook-signing-key-of-at-least-32-bytes",
            ["Webhooks:AllowHttp"] = "true",
            ["Webhooks:AllowPrivateNetworks"] = "true",
        };
        await using var a = await GatewayServer.StartAsync(Settings(seed: true));
        var store = a.Services.GetRequiredService<InMemoryFhirStore>();
        await using var b = await GatewayServer.StartAsync(Settings(seed: false), services => services.AddSingleton(store));
        var world = await BookingWorld.CreateAsync(store, slots: 6);
        var registered = await a.QueryAsync("mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { secret " + Errors + " } }", new { input = new { url = receiver.Url } });
        Assert.Empty(registered.At("data.registerWebhook.errors")!.AsArray());

        // Six bookings, alternating instances, then each cancelled on the other instance: twelve events.
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var on = i % 2 == 0 ? a : b;
            ids.Add(Str(await on.QueryAsync(Book, new { input = new { time = new { slotIds = new[] { world.SlotId(i) } }, patientId = i % 2 == 0 ? world.Patient.Id : world.OtherPatient.Id } }), "data.bookAppointment.appointment.fhirId"));
        }

        for (var i = 0; i < 6; i++)
        {
            await (i % 2 == 0 ? b : a).QueryAsync(Cancel, new { input = new { appointmentId = ids[i], reason = "moved away" } });
        }

        await receiver.UntilAsync(r => r.Select(x => x.EventId).Distinct().Count() >= 12, seconds: 30);
        await Task.Delay(3000); // time for a duplicate to arrive, if one were coming (a dispatcher polls every 200 ms)
        var received = receiver.Received;
        Assert.Equal(12, received.Count);
        Assert.Equal(12, received.Select(r => r.EventId).Distinct().Count());
        Assert.Equal(6, received.Count(r => r.EventType == "APPOINTMENT_BOOKED"));
        Assert.Equal(6, received.Count(r => r.EventType == "APPOINTMENT_CANCELLED"));
    }
}

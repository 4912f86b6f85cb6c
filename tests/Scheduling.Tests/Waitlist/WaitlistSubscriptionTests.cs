using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Subscriptions;
using static Scheduling.Testing.GraphQLMutations;
using static Scheduling.Tests.Waitlist.WaitlistSteps;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// The patient hears of an offer through the subscriptions they already have: subscribed to
/// <c>appointmentChanged</c> as themselves (the reference graphql-ws client, their token in connection_init), they
/// receive the hold made for them, pending, on the freed slot's time, with its expiry.
/// </summary>
public sealed class WaitlistSubscriptionTests
{
    private const string Mine = "subscription { appointmentChanged { kind appointmentId appointment { fhirId status start end holdExpiresAt patient { fhirId } } } }";

    [Fact]
    public async Task A_patient_subscribed_as_themselves_receives_the_offer_made_when_a_cancellation_frees_matching_time()
    {
        var settings = TestTokens.GatewaySettings();
        settings["Waitlist:Enabled"] = "true";
        settings["Waitlist:SweepSeconds"] = "3600";
        await using var gateway = await GatewayServer.StartAsync(settings);
        IFhirStore store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var scheduler = TestTokens.Scheduler();
        var patientToken = TestTokens.Patient(world.Patient.Id!);
        var booked = Str(await gateway.QueryAsync(Book, new { input = new { time = new { slotIds = new[] { world.SlotId(0) } }, patientId = world.OtherPatient.Id } }, scheduler),
            "data.bookAppointment.appointment.fhirId");
        var entry = await JoinAsync(gateway, world, world.Patient.Id!, patientToken);

        var before = gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, Mine,
            connectionParams: new { Authorization = "Bearer " + patientToken }, count: 5, timeoutMs: 30000);
        await gateway.UntilSubscribedAsync(before);
        Assert.Equal("connected", client.First.GetProperty("event").GetString());

        Assert.Empty((await gateway.QueryAsync(Cancel, new { id = booked }, scheduler)).At("data.cancelAppointment.errors")!.AsArray());
        Assert.True(await UntilAsync(async () => (await OffersAsync(store, entry)).Count == 1), "an offer was made");
        var offer = (await OffersAsync(store, entry)).Single();

        // The patient hears of nothing but their own: the offer arrives among their events (their entry may change too).
        JsonElement? heard = null;
        var seen = new List<string>();
        while (heard is null && await client.NextAsync(TimeSpan.FromSeconds(20)) is { } line && line.GetProperty("event").GetString() == "next")
        {
            var changed = line.GetProperty("data").GetProperty("data").GetProperty("appointmentChanged");
            seen.Add(changed.GetRawText());
            Assert.Equal(world.Patient.Id, changed.GetProperty("appointment").GetProperty("patient").GetProperty("fhirId").GetString());
            if (changed.GetProperty("appointmentId").GetString() == GlobalId.Encode("Appointment", offer.Id!))
            {
                heard = changed;
            }
        }

        Assert.True(heard is not null, "the offer was not heard; heard: " + string.Join("; ", seen));
        var appointment = heard.Value.GetProperty("appointment");
        Assert.Equal("CREATED", heard.Value.GetProperty("kind").GetString());
        Assert.Equal("PENDING", appointment.GetProperty("status").GetString());
        Assert.Equal(world.Slots[0].Start, appointment.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(world.Slots[0].End, appointment.GetProperty("end").GetDateTimeOffset());
        // On the wire to the millisecond.
        Assert.Equal(GatewayProfile.HoldExpiry(offer)!.Value, appointment.GetProperty("holdExpiresAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
    }
}

using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using static Scheduling.Testing.GraphQLMutations;
using static Scheduling.Tests.Waitlist.WaitlistSteps;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// A cancellation is offered to the first in line as a hold; the hold expires (the gateway's clock moved, the hold
/// sweeper releasing it) and the same time passes to the second, who confirms: booked, and their entry FULFILLED.
/// </summary>
public abstract class WaitlistOfferTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    /// <summary>A gateway of the test's own on <paramref name="clock"/> with the waitlist on; its store; and what to dispose.</summary>
    private async Task<(GatewayServer Gateway, IFhirStore Store, IAsyncDisposable Owner)> StartAsync(ShiftedTimeProvider clock)
    {
        var gateway = await StartGatewayAsync(Settings(), services => services.AddSingleton<TimeProvider>(clock));
        return (gateway, Store, gateway);
    }

    private static Dictionary<string, string?> Settings() => new()
    {
        ["Booking:HoldSweepSeconds"] = "1",
        ["Waitlist:Enabled"] = "true",
        ["Waitlist:OfferMinutes"] = "5",
        ["Waitlist:SweepSeconds"] = "3600",
    };

    [Fact]
    public async Task A_cancellation_is_offered_to_the_first_in_line_then_passes_to_the_second_who_books_it()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store, owner) = await StartAsync(clock);
        await using var _ = owner;
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var booker = await PatientAsync(store, "Booker");
        var booked = await BookAsync(gateway, world.SlotId(0), booker.Id!);
        var first = await JoinAsync(gateway, world, world.Patient.Id!);
        await System.Threading.Tasks.Task.Delay(50); // joined at distinct instants: the line's order is created
        var second = await JoinAsync(gateway, world, world.OtherPatient.Id!);
        Assert.Empty(await OffersAsync(store, first)); // nothing free yet

        Assert.Empty((await gateway.QueryAsync(Cancel, new { id = booked })).At("data.cancelAppointment.errors")!.AsArray());
        Assert.True(await UntilAsync(async () => (await OffersAsync(store, first)).Count == 1), await DiagnosisAsync(gateway, store, world, first, second));
        var offer = (await OffersAsync(store, first)).Single();
        Assert.True(GatewayProfile.IsHold(offer));
        Assert.Equal("Patient/" + world.Patient.Id, offer.Participant.Select(p => p.Actor?.Reference).First(r => r!.StartsWith("Patient/", StringComparison.Ordinal)));
        Assert.Equal("Slot/" + world.SlotId(0), offer.Slot.Single().Reference);
        Assert.Equal(Slot.SlotStatus.BusyTentative, (await store.ReadAsync<Slot>(world.SlotId(0), CancellationToken.None))!.Status);
        Assert.Empty(await OffersAsync(store, second));
        // This practitioner's part of the line: on a FHIR server shared by the tests the whole line holds other tests'
        // entries, joined earlier (the declined test's first entry waits on with no offer standing), first in line.
        var line = await gateway.QueryAsync(Line, new { patientId = (string?)null, practitionerId = world.Practitioner.Id });
        Assert.Equal(offer.Id, line.At("data.waitlist.0.offer.fhirId")?.GetValue<string>());
        Assert.Null(line.At("data.waitlist.1.offer"));

        // The first lets the offer expire: the sweeper releases it, and the time passes to the second.
        clock.Offset = TimeSpan.FromMinutes(6);
        Assert.True(await UntilAsync(async () => (await OffersAsync(store, second)).Count == 1), await DiagnosisAsync(gateway, store, world, first, second));
        var secondOffer = (await OffersAsync(store, second)).Single();
        Assert.Equal("Slot/" + world.SlotId(0), secondOffer.Slot.Single().Reference);
        Assert.Equal(Appointment.AppointmentStatus.Cancelled, (await store.ReadAsync<Appointment>(offer.Id!, CancellationToken.None))!.Status);

        var confirmed = await gateway.QueryAsync(Confirm, new { id = secondOffer.Id });
        Assert.Equal("BOOKED", confirmed.At("data.confirmAppointment.appointment.status")?.GetValue<string>());
        Assert.Equal(Slot.SlotStatus.Busy, (await store.ReadAsync<Slot>(world.SlotId(0), CancellationToken.None))!.Status);
        Assert.True(await UntilAsync(async () => (await store.ReadAsync<Appointment>(second, CancellationToken.None))!.Status == Appointment.AppointmentStatus.Fulfilled),
            "the second's entry is fulfilled");
        // The first still waits, and is not offered the time it let pass again.
        Assert.Equal(Appointment.AppointmentStatus.Waitlist, (await store.ReadAsync<Appointment>(first, CancellationToken.None))!.Status);
        Assert.Single(await OffersAsync(store, first));
    }

    /// <summary>What a failed wait saw: the entries, their offers, the slot, and the matcher's last failure.</summary>
    private static async Task<string> DiagnosisAsync(GatewayServer gateway, IFhirStore store, BookingWorld world, params string[] entries)
    {
        var lines = new List<string> { "slot " + (await store.ReadAsync<Slot>(world.SlotId(0), CancellationToken.None))!.Status };
        foreach (var entry in entries)
        {
            var read = (await store.ReadAsync<Appointment>(entry, CancellationToken.None))!;
            lines.Add($"entry {entry} {read.Status} created {read.Created} offers [{string.Join(", ", (await OffersAsync(store, entry)).Select(o => o.Id + " " + o.Status))}]");
        }

        lines.Add("matcher: " + gateway.Services.GetRequiredService<Scheduling.Schema.Waitlist.WaitlistService>().LastFailure);
        return string.Join("; ", lines);
    }

    [Fact]
    public async Task A_declined_offer_passes_to_the_next_and_a_left_entry_is_offered_nothing()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store, owner) = await StartAsync(clock);
        await using var _ = owner;
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var booker = await PatientAsync(store, "Booker");
        var booked = await BookAsync(gateway, world.SlotId(0), booker.Id!);
        var third = await PatientAsync(store, "Third");
        var first = await JoinAsync(gateway, world, world.Patient.Id!);
        await System.Threading.Tasks.Task.Delay(50);
        var left = await JoinAsync(gateway, world, world.OtherPatient.Id!);
        await System.Threading.Tasks.Task.Delay(50);
        var last = await JoinAsync(gateway, world, third.Id!);
        Assert.Equal("CANCELLED", (await gateway.QueryAsync(Leave, new { id = left })).At("data.leaveWaitlist.appointment.status")?.GetValue<string>());

        await gateway.QueryAsync(Cancel, new { id = booked });
        Assert.True(await UntilAsync(async () => (await OffersAsync(store, first)).Count == 1));
        await gateway.QueryAsync(Cancel, new { id = (await OffersAsync(store, first)).Single().Id });

        Assert.True(await UntilAsync(async () => (await OffersAsync(store, last)).Count == 1), "the declined time went past the entry that left, to the next");
        Assert.Empty(await OffersAsync(store, left));
    }
}

public sealed class EmbeddedWaitlistOfferTests(EmbeddedGatewayFixture fixture) : WaitlistOfferTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumWaitlistOfferTests(MedplumFixture medplum) : WaitlistOfferTests(medplum.Compensating);

using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// What must hold after a race: each slot has exactly one winner, every loser a SlotUnavailableError, and in FHIR
/// every busy slot has exactly one active appointment and no appointment lacks its slot.
/// </summary>
public static class BookingRaceAssertions
{
    public static async Task AssertEachSlotBookedOnceAsync(IFhirStore store, BookingWorld world, IReadOnlyList<BookingRace.Outcome> outcomes)
    {
        foreach (var group in outcomes.GroupBy(o => o.Slot))
        {
            Assert.Single(group, o => o.AppointmentId is not null);
            Assert.All(group.Where(o => o.AppointmentId is null), o => Assert.Equal("SLOT_UNAVAILABLE", o.ErrorCode));
        }

        var appointments = await store.SearchAllAsync<Appointment>(
            FhirQuery.For<Appointment>().WhereAny("slot", world.Slots.Select(s => "Slot/" + s.Id)), CancellationToken.None);
        var active = appointments.Where(a => AppointmentSearches.ActiveStatuses.Contains(a.Status!.Value)).ToList();
        foreach (var slot in await store.SearchAllAsync<Slot>(FhirQuery.For<Slot>().WhereAny("_id", world.Slots.Select(s => s.Id!)), CancellationToken.None))
        {
            Assert.Equal(Slot.SlotStatus.Busy, slot.Status);
            Assert.Single(active, a => a.Slot.Any(r => r.Reference == "Slot/" + slot.Id));
        }

        Assert.Equal(world.Slots.Count, appointments.Count); // no orphan appointment from a lost race
        Assert.Equal(outcomes.Where(o => o.AppointmentId is not null).Select(o => o.AppointmentId).Order(), active.Select(a => a.Id).Order());
    }
}

[Collection(MedplumCollection.Name)]
public sealed class MedplumBookingConcurrencyTests(MedplumFixture medplum, ITestOutputHelper output)
{
    private IFhirStore Store => medplum.Store;

    [Theory]
    [InlineData(false, 50, 1)]
    [InlineData(true, 50, 1)]
    [InlineData(false, 200, 20)]
    [InlineData(true, 200, 20)]
    public async Task Racing_clients_through_two_gateways_book_each_slot_exactly_once(bool transactions, int clients, int slots)
    {
        var settings = medplum.Settings(("Fhir:UseTransactions", transactions ? "true" : "false"), ("Booking:MaxOpenBookingsPerPatient", "0"));
        await using var first = await GatewayServer.StartAsync(settings);
        await using var second = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(Store, slots: slots);
        var patients = await BookingRace.PatientsAsync(Store, clients);

        var started = DateTimeOffset.UtcNow;
        var outcomes = await BookingRace.RunAsync([first, second], world, patients, clients);
        output.WriteLine($"{(transactions ? "transaction" : "compensation")}: {clients} clients, {slots} slots, " +
            $"{outcomes.Count(o => o.AppointmentId is not null)} won, {outcomes.Count(o => o.AppointmentId is null)} refused in {(DateTimeOffset.UtcNow - started).TotalMilliseconds:F0} ms");

        await BookingRaceAssertions.AssertEachSlotBookedOnceAsync(Store, world, outcomes);
    }
}

public sealed class EmbeddedBookingConcurrencyTests
{
    [Fact]
    public async Task Racing_clients_on_the_embedded_store_book_each_slot_exactly_once()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Booking:MaxOpenBookingsPerPatient"] = "0" });
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 20);
        var patients = await BookingRace.PatientsAsync(store, 200);

        var outcomes = await BookingRace.RunAsync([gateway], world, patients, 200);

        await BookingRaceAssertions.AssertEachSlotBookedOnceAsync(store, world, outcomes);
    }
}

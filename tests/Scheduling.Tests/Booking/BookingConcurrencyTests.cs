using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Many clients race for the same slots through two gateway instances on one FHIR server: each slot has exactly
/// one winner, every loser gets SlotUnavailableError, and afterwards every busy slot has exactly one active
/// appointment and every appointment its slot.
/// </summary>
public static class BookingRace
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } errors { ... on Error { code } } } }
        """;

    public sealed record Outcome(int Slot, string? AppointmentId, string? ErrorCode);

    /// <summary>Client i books slot i % slots through gateway i % gateways, all released at once.</summary>
    public static async Task<IReadOnlyList<Outcome>> RunAsync(IReadOnlyList<GatewayServer> gateways, BookingWorld world, IReadOnlyList<Patient> patients, int clients)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, clients).Select(async i =>
        {
            var slot = i % world.Slots.Count;
            await start.Task;
            var response = await gateways[i % gateways.Count].QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(slot) }, patientId = patients[i % patients.Count].Id } });
            var payload = response.At("data.bookAppointment");
            return new Outcome(slot, payload.At("appointment.id")?.GetValue<string>(), payload.At("errors.0.code")?.GetValue<string>() ?? Error(response));
        }).ToList();
        start.SetResult();
        return await Task.WhenAll(attempts);
    }

    /// <summary>Asserts one winner per slot, typed losers, and the invariant in FHIR itself.</summary>
    public static async Task AssertEachSlotBookedOnceAsync(IFhirStore store, BookingWorld world, IReadOnlyList<Outcome> outcomes)
    {
        foreach (var group in outcomes.GroupBy(o => o.Slot))
        {
            Assert.Single(group, o => o.AppointmentId is not null);
            Assert.All(group.Where(o => o.AppointmentId is null), o => Assert.Equal("SLOT_UNAVAILABLE", o.ErrorCode));
        }

        var appointments = await store.SearchAllAsync<Appointment>(
            FhirQuery.For<Appointment>().WhereAny("slot", world.Slots.Select(s => "Slot/" + s.Id)), CancellationToken.None);
        var active = appointments.Where(a => AppointmentBooking.ActiveStatuses.Contains(a.Status!.Value)).ToList();
        foreach (var slot in await store.SearchAllAsync<Slot>(FhirQuery.For<Slot>().WhereAny("_id", world.Slots.Select(s => s.Id!)), CancellationToken.None))
        {
            Assert.Equal(Slot.SlotStatus.Busy, slot.Status);
            Assert.Single(active, a => a.Slot.Any(r => r.Reference == "Slot/" + slot.Id));
        }

        Assert.Equal(world.Slots.Count, appointments.Count); // no orphan appointment from a lost race
        Assert.Equal(outcomes.Where(o => o.AppointmentId is not null).Select(o => o.AppointmentId).Order(), active.Select(a => a.Id).Order());
    }

    public static async Task<IReadOnlyList<Patient>> PatientsAsync(IFhirStore store, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Racer" + i], Family = "Concurrency" }] }, CancellationToken.None)));

    private static string? Error(JsonNode response) => response["errors"]?[0]?["message"]?.GetValue<string>();
}

[Collection(MedplumCollection.Name)]
public sealed class MedplumBookingConcurrencyTests(MedplumFixture medplum, ITestOutputHelper output) : IDisposable
{
    private readonly ServiceProvider _services = FhirStores.Rest(medplum.Server.FhirBaseUrl);

    private IFhirStore Store => _services.GetRequiredService<IFhirStore>();

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

        await BookingRace.AssertEachSlotBookedOnceAsync(Store, world, outcomes);
    }

    public void Dispose() => _services.Dispose();
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

        await BookingRace.AssertEachSlotBookedOnceAsync(store, world, outcomes);
    }
}

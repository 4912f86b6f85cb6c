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
/// What must hold after a race. Safety: a slot has at most one winner, and in FHIR every busy slot has exactly one
/// active appointment, every free slot none, and no appointment lacks its slot. Truth: a SLOT_UNAVAILABLE answer is
/// true (the slot ended taken); a racer that only kept losing races is told CONFLICT (retry), and one the FHIR server
/// did not answer in time SERVICE_UNAVAILABLE (or the operation deadline OPERATION_TIMEOUT). Under light load every slot also gets its winner; under heavy load a
/// slot may end free, but then never with every racer told it was taken (which is what happened before:
/// all ten racers of one slot answered SLOT_UNAVAILABLE and the slot stayed free).
/// </summary>
public static class BookingRaceAssertions
{
    /// <summary>Answers that claim nothing about the slot: lost races (retry), an upstream or a deadline that did not answer.</summary>
    private static readonly string[] UncertainCodes = ["CONFLICT", "SERVICE_UNAVAILABLE", "OPERATION_TIMEOUT"];

    /// <summary>
    /// The answers are checked at once. The FHIR state is checked at once when every answer was certain; when one was
    /// not (an upstream or a deadline that did not answer), the change behind it may still be writing or undoing
    /// (<c>Changes:WriteSeconds</c>, "the caller going away does not stop them"), so the state must settle within
    /// <paramref name="settle"/>: consistent in the end, never a winner too many.
    /// </summary>
    public static async Task AssertEachSlotBookedOnceAsync(IFhirStore store, BookingWorld world, IReadOnlyList<BookingRace.Outcome> outcomes, TimeSpan settle = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        foreach (var group in outcomes.GroupBy(o => o.Slot))
        {
            var told = group.Count(o => o.AppointmentId is not null);
            Assert.True(told <= 1, $"slot {group.Key}: {told} winners");
            Assert.All(group.Where(o => o.AppointmentId is null), o => Assert.True(
                o.ErrorCode is "SLOT_UNAVAILABLE" || UncertainCodes.Contains(o.ErrorCode), $"slot {group.Key}: a loser was told {o.ErrorCode} after {o.Elapsed}"));

            // Nobody was told they won: then somebody was told they might retry, never all "taken".
            Assert.True(told == 1 || group.Any(o => UncertainCodes.Contains(o.ErrorCode)),
                $"slot {group.Key}: every racer was told SLOT_UNAVAILABLE and none won");
        }

        var uncertain = outcomes.Any(o => UncertainCodes.Contains(o.ErrorCode));
        var deadline = DateTimeOffset.UtcNow + (uncertain ? settle : TimeSpan.Zero);
        while (true)
        {
            var failure = await StateFailureAsync(store, world, outcomes);
            if (failure is null)
            {
                return;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, failure + (uncertain ? $" (still after {settle.TotalSeconds:F0} s to settle)" : " (every answer was certain)"));
            await Task.Delay(500);
        }
    }

    /// <summary>What is wrong with the FHIR state after the race, or null: busy slots have exactly their one active appointment (the winner's, if one was told), free ones none, no orphan.</summary>
    private static async Task<string?> StateFailureAsync(IFhirStore store, BookingWorld world, IReadOnlyList<BookingRace.Outcome> outcomes)
    {
        var slots = (await store.SearchAllAsync<Slot>(FhirQuery.For<Slot>().WhereAny("_id", world.Slots.Select(s => s.Id!)), CancellationToken.None))
            .ToDictionary(s => s.Id!);
        var appointments = await store.SearchAllAsync<Appointment>(
            FhirQuery.For<Appointment>().WhereAny("slot", world.Slots.Select(s => "Slot/" + s.Id)), CancellationToken.None);
        var active = appointments.Where(a => AppointmentSearches.ActiveStatuses.Contains(a.Status!.Value)).ToList();
        if (active.Count != appointments.Count)
        {
            return $"{appointments.Count - active.Count} orphan appointment(s) from lost races";
        }

        foreach (var group in outcomes.GroupBy(o => o.Slot))
        {
            var slot = slots[world.SlotId(group.Key)];
            var holders = active.Where(a => a.Slot.Any(r => r.Reference == "Slot/" + slot.Id)).Select(a => a.Id).ToList();
            var told = group.Where(o => o.AppointmentId is not null).Select(o => o.AppointmentId).ToList();
            if (holders.Count != (slot.Status == Slot.SlotStatus.Busy ? 1 : 0))
            {
                return $"slot {group.Key} is {slot.Status} with {holders.Count} active appointment(s)";
            }

            if (told.Count == 1 && !told.SequenceEqual(holders))
            {
                return $"slot {group.Key}: the winner told {told[0]} is not its appointment ({string.Join(",", holders)})";
            }
        }

        return null;
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
        // A change behind an answer that did not come finishes or is undone within twice its write time, or a
        // sweeper repairs it once its grace has passed: the state settles within 30 s.
        var settings = medplum.Settings(("Fhir:UseTransactions", transactions ? "true" : "false"), ("Booking:MaxOpenBookingsPerPatient", "0"),
            ("Changes:WriteSeconds", "10"), ("Changes:RepairGraceSeconds", "21"), ("Changes:RepairSweepSeconds", "1"));
        await using var first = await GatewayServer.StartAsync(settings);
        await using var second = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(Store, slots: slots);
        var patients = await BookingRace.PatientsAsync(Store, clients);

        var started = DateTimeOffset.UtcNow;
        var outcomes = await BookingRace.RunAsync([first, second], world, patients, clients);
        output.WriteLine($"{(transactions ? "transaction" : "compensation")}: {clients} clients, {slots} slots, " +
            $"{outcomes.Count(o => o.AppointmentId is not null)} won, {outcomes.Count(o => o.AppointmentId is null)} refused in {(DateTimeOffset.UtcNow - started).TotalMilliseconds:F0} ms; " +
            string.Join(", ", outcomes.GroupBy(o => o.ErrorCode ?? "won").Select(g => $"{g.Key} {g.Count()}")));

        await BookingRaceAssertions.AssertEachSlotBookedOnceAsync(Store, world, outcomes, settle: TimeSpan.FromSeconds(30));
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

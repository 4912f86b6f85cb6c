using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>
/// deleteSlots is one change, whole or absent (invariant 6), on every store and write mode: another client taking one
/// of the slots after the checks and before the writes leaves every slot in place with a typed refusal, and a
/// delete that goes through claims the schedule's slots guard, so a block or createSlots reading meanwhile reads again.
/// </summary>
public abstract class SlotDeletionTests(StoreGateways stores) : StoreMatrixTests(stores), IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly Interference _interference = new();

    private GatewayServer _gateway = null!;

    /// <summary>A gateway whose upstream store runs the interference's armed action before its next write.</summary>
    public async Task InitializeAsync() => _gateway = await StartGatewayAsync(upstream: inner => Interfering(inner, _interference));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_slot_taken_between_the_checks_and_the_writes_leaves_every_slot_in_place()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 3);
        var taken = world.SlotId(2);
        _interference.Arm(async () =>
        {
            // Another FHIR client takes the last slot once the gateway has checked them all free.
            var slot = (await Store.ReadAsync<Slot>(taken, None))!;
            slot.Status = Slot.SlotStatus.Busy;
            await Store.UpdateAsync(slot, slot.Meta!.VersionId, None);
        });

        var refused = await _gateway.MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { world.SlotId(0), world.SlotId(1), taken } },
            "deletedSlotIds errors { ... on SlotUnavailableError { slotIds } }");
        Assert.False(_interference.Armed, "the interference never ran: the delete wrote nothing");
        Assert.Equal(("SlotUnavailableError", "SLOT_UNAVAILABLE"), (GraphQLMutations.Str(refused, "errors.0.__typename"), GraphQLMutations.Str(refused, "errors.0.code")));
        Assert.Equal(taken, GlobalId.ReadFhirId(GraphQLMutations.Str(refused, "errors.0.slotIds.0"), "Slot"));
        foreach (var id in new[] { world.SlotId(0), world.SlotId(1) })
        {
            var left = await Store.ReadAsync<Slot>(id, None);
            Assert.NotNull(left);
            Assert.Equal(Slot.SlotStatus.Free, left.Status);
            Assert.DoesNotContain(left.Meta!.Tag, t => t.System == GatewayProfile.ChangeTagSystem);
        }

        Assert.DoesNotContain(await Store.SearchAllAsync<Basic>(ChangeIntentSearches.All(), None), i => ChangeIntent.PlannedWrites(i).Any(p => p.Id == world.SlotId(0)));
    }

    [Fact]
    public async Task A_delete_removes_every_slot_and_claims_the_schedules_slots_guard()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 3);
        var deleted = await _gateway.MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { world.SlotId(0), world.SlotId(2) } }, "deletedSlotIds");
        Assert.Empty(deleted["errors"]!.AsArray());
        Assert.Equal(new[] { world.SlotId(0), world.SlotId(2) }.Order(StringComparer.Ordinal), deleted["deletedSlotIds"]!.AsArray().Select(n => GlobalId.ReadFhirId(n!.GetValue<string>(), "Slot")).Order(StringComparer.Ordinal));
        Assert.Null(await Store.ReadAsync<Slot>(world.SlotId(0), None));
        Assert.Null(await Store.ReadAsync<Slot>(world.SlotId(2), None));
        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(world.SlotId(1), None))!.Status);
        var guard = Assert.Single(await Store.SearchAllAsync<Basic>(SpanGuardSearches.ByKeys([ScheduleChanges.SlotsGuardKey(world.Schedule.Id!)]), None));
        Assert.NotNull(guard.GetExtension(GatewayProfile.GuardChangeExtension));
    }

    /// <summary>Runs one armed action before the next write that reaches the store (a create of a guard or an intent does not count).</summary>
    public sealed class Interference
    {
        private Func<Task>? _next;

        public bool Armed => Volatile.Read(ref _next) is not null;

        public void Arm(Func<Task> action) => Volatile.Write(ref _next, action);

        public Task RunAsync() => Interlocked.Exchange(ref _next, null) is { } action ? action() : Task.CompletedTask;
    }

    /// <summary>The upstream store with the interference before each update, delete and transaction.</summary>
    private static InterceptedFhirStore Interfering(IFhirStore inner, Interference interference) =>
        new InterceptedFhirStore(inner, (write, _) => write is StoreWrite.Update or StoreWrite.Delete or StoreWrite.Transaction ? interference.RunAsync() : Task.CompletedTask);
}

public sealed class EmbeddedSlotDeletionTests(EmbeddedGatewayFixture fixture) : SlotDeletionTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingSlotDeletionTests(MedplumFixture medplum) : SlotDeletionTests(medplum.Compensating);

[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionSlotDeletionTests(MedplumFixture medplum) : SlotDeletionTests(medplum.Transactions);

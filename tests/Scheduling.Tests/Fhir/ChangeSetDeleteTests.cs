using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// A change that deletes (<see cref="FhirWrite.Delete"/>) is whole or absent in both write modes, on both stores:
/// a delete overtaken by another writer deletes nothing of the change, and a caller going away once the change
/// started does not stop it half way.
/// </summary>
public abstract class ChangeSetDeleteTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract IFhirStore Store { get; }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_change_whose_last_delete_is_overtaken_deletes_nothing(bool useTransactions)
    {
        var (first, second, guard) = await NewAsync();
        var moved = second.DeepCopy();
        moved.Status = Slot.SlotStatus.Busy;
        await Store.UpdateAsync(moved, second.Meta!.VersionId, None);

        await Assert.ThrowsAsync<FhirVersionConflictException>(() => ChangeSet(Store, useTransactions).ApplyAsync(Writes(first, second, guard), None));

        var left = await Store.ReadAsync<Slot>(first.Id!, None);
        Assert.NotNull(left);
        Assert.Equal(Slot.SlotStatus.Free, left.Status);
        Assert.DoesNotContain(left.Meta!.Tag, t => t.System == GatewayProfile.ChangeTagSystem);
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(second.Id!, None))!.Status);
        Assert.Equal(guard.Meta!.VersionId, (await Store.ReadAsync<Basic>(guard.Id!, None))!.Meta!.VersionId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_caller_going_away_once_the_change_started_does_not_stop_it(bool useTransactions)
    {
        var (first, second, guard) = await NewAsync();
        using var caller = new CancellationTokenSource();

        var results = await ChangeSet(Cancelling(Store, caller), useTransactions).ApplyAsync(Writes(first, second, guard), caller.Token);

        Assert.True(caller.IsCancellationRequested);
        Assert.Equal(3, results.Count);
        Assert.Null(await Store.ReadAsync<Slot>(first.Id!, None));
        Assert.Null(await Store.ReadAsync<Slot>(second.Id!, None));
        Assert.NotEqual(guard.Meta!.VersionId, (await Store.ReadAsync<Basic>(guard.Id!, None))!.Meta!.VersionId);
    }

    private static List<FhirWrite> Writes(Slot first, Slot second, Basic guard)
    {
        var claimed = (Basic)guard.DeepCopy();
        claimed.SetExtension(GatewayProfile.GuardChangeExtension, new FhirString(Guid.NewGuid().ToString("N")));
        return [FhirWrite.Delete(first, Reserved(first)), FhirWrite.Delete(second, Reserved(second)), FhirWrite.Update(guard, claimed)];
    }

    private static Slot Reserved(Slot slot)
    {
        var reserved = (Slot)slot.DeepCopy();
        reserved.Status = Slot.SlotStatus.BusyUnavailable;
        return reserved;
    }

    private async Task<(Slot First, Slot Second, Basic Guard)> NewAsync()
    {
        var schedule = await Store.CreateAsync(new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/contract")] }, None);
        var start = DateTimeOffset.UtcNow.AddDays(5);
        Slot NewSlot(int index) => new()
        {
            Schedule = new ResourceReference("Schedule/" + schedule.Id),
            Status = Slot.SlotStatus.Free,
            Start = start.AddMinutes(30 * index),
            End = start.AddMinutes(30 * (index + 1)),
        };

        var guard = await Store.CreateAsync(new Basic
        {
            Identifier = [new Identifier(GatewayProfile.GuardSystem, ScheduleChanges.SlotsGuardKey(schedule.Id!))],
            Code = new CodeableConcept(GatewayProfile.TagSystem, GatewayProfile.GuardCode),
        }, None);
        return (await Store.CreateAsync(NewSlot(0), None), await Store.CreateAsync(NewSlot(1), None), guard);
    }

    private static FhirChangeSet ChangeSet(IFhirStore store, bool useTransactions) =>
        new(store, Options.Create(new FhirOptions { UseTransactions = useTransactions }), Options.Create(new ChangeSafetyOptions()), TimeProvider.System, NullLogger<FhirChangeSet>.Instance);

    /// <summary>Cancels the caller's token as the change's first write (a transaction, an update or a delete) reaches the store.</summary>
    private static InterceptedFhirStore Cancelling(IFhirStore inner, CancellationTokenSource caller) =>
        new(inner, async (write, cancellationToken) =>
        {
            if (write is StoreWrite.Update or StoreWrite.Delete or StoreWrite.Transaction)
            {
                await caller.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }
        });
}

public sealed class InMemoryChangeSetDeleteTests : ChangeSetDeleteTests
{
    protected override IFhirStore Store { get; } = new InMemoryFhirStore();
}

[Collection(MedplumCollection.Name)]
public sealed class MedplumChangeSetDeleteTests(MedplumFixture medplum) : ChangeSetDeleteTests, IDisposable
{
    private readonly ServiceProvider _services = FhirStores.Rest(medplum.Server.FhirBaseUrl);

    protected override IFhirStore Store => _services.GetRequiredService<IFhirStore>();

    public void Dispose() => _services.Dispose();
}

using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Waitlist;
using Scheduling.Testing;
using static Scheduling.Tests.Waitlist.WaitlistSteps;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// An offer is held as the entry's patient would hold it (<see cref="Scheduling.Schema.Authorization.SchedulingAccess.OfferedAs"/>),
/// not as the gateway's matcher (which sees and may do everything): a patient may not overbook, so an overbooked
/// slot's extra seat is never taken by an offer. The matcher finds the slot's one seat free; before it holds it,
/// someone books that seat; the hold then finds only the extra seat, which the patient may not take: no offer.
/// </summary>
public sealed class WaitlistOfferedAsTests
{
    [Fact]
    public async Task An_offer_does_not_take_an_overbooked_slots_extra_seat()
    {
        var race = new BookBeforeHold();
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Waitlist:Enabled"] = "false" }, services =>
            services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (provider, _) => new AfterSlotSearch(provider.GetRequiredService<InMemoryFhirStore>(), race)));
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var slot = world.Slots[0];
        slot.Overbooked = true; // one seat, and one more for a scheduler or an admin
        await store.UpdateAsync(slot, null, CancellationToken.None);
        var booker = await PatientAsync(store, "Booker");
        var entry = await JoinAsync(gateway, world, world.Patient.Id!);

        // While the pass searches availability (the seat is free), the booker takes the seat.
        race.Arm(async () => Assert.NotNull(await BookAsync(gateway, world.SlotId(0), booker.Id!)));
        Assert.True(await gateway.Services.GetRequiredService<WaitlistService>().PassAsync(TimeSpan.FromSeconds(30), CancellationToken.None));

        Assert.True(race.Ran, "the seat was booked while the pass ran");
        Assert.Empty(await OffersAsync(store, entry));
        var seated = (await store.SearchAllAsync<Appointment>(FhirQuery.For<Appointment>(), CancellationToken.None))
            .Where(a => a.Slot.Any(s => s.Reference == "Slot/" + world.SlotId(0)) && a.Status != Appointment.AppointmentStatus.Cancelled);
        Assert.Single(seated);
    }

    /// <summary>
    /// A step run once, when availability's two searches (the slots, the actors' appointments: side by side) have both
    /// been answered after its arming, before either answer is returned: what they found is what the pass believes.
    /// </summary>
    private sealed class BookBeforeHold
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Func<System.Threading.Tasks.Task>? _step;
        private int _answered;

        public bool Ran { get; private set; }

        public void Arm(Func<System.Threading.Tasks.Task> step) => _step = step;

        public async System.Threading.Tasks.Task AnsweredAsync()
        {
            if (Volatile.Read(ref _step) is null)
            {
                return;
            }

            if (Interlocked.Increment(ref _answered) == 2 && Interlocked.Exchange(ref _step, null) is { } step)
            {
                try
                {
                    await step();
                    Ran = true;
                }
                finally
                {
                    _done.TrySetResult();
                }
            }
            else
            {
                await _done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
    }

    /// <summary>Holds availability's slot and appointment searches (not the line's or the offers') for the step.</summary>
    private sealed class AfterSlotSearch(IFhirStore inner, BookBeforeHold race) : DelegatingFhirStore(inner)
    {
        public override async Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
        {
            var found = await base.SearchAllAsync(query, cancellationToken);
            if (query.ResourceType == "Slot" || (query.ResourceType == "Appointment" && !query.Parameters.Any(p => p.Key is "_tag" or "identifier")))
            {
                await race.AnsweredAsync();
            }

            return found;
        }
    }
}

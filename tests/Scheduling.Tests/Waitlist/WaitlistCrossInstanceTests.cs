using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using static Scheduling.Tests.Waitlist.WaitlistSteps;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// Two gateway instances on Medplum's engine sharing a real redis-server, both running the matcher: cancellations
/// made on both at once are each offered once, to the first in line without an offer, never one time twice and
/// never past an earlier entry.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class WaitlistCrossInstanceTests(MedplumFixture medplum)
{
    [Fact]
    public async Task Two_instances_offer_each_freed_time_once_in_line_order()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = medplum.Settings();
        settings["Redis:Configuration"] = redis.Configuration;
        settings["Waitlist:Enabled"] = "true";
        settings["Waitlist:SweepSeconds"] = "3600";
        await using var a = await GatewayServer.StartAsync(settings);
        await using var b = await GatewayServer.StartAsync(settings);
        var store = medplum.Store;
        const int Freed = 4;
        var world = await BookingWorld.CreateAsync(store, slots: Freed);
        var booker = await PatientAsync(store, "Booker");
        var bookings = new List<string>();
        for (var i = 0; i < Freed; i++)
        {
            bookings.Add(await BookAsync(i % 2 == 0 ? a : b, world.SlotId(i), booker.Id!));
        }

        var entries = new List<string>();
        for (var i = 0; i < Freed + 2; i++)
        {
            var patient = await PatientAsync(store, "Line" + i);
            entries.Add(await JoinAsync(i % 2 == 0 ? b : a, world, patient.Id!));
            await System.Threading.Tasks.Task.Delay(20);
        }

        // Every booking cancelled at once, half on each instance: both hear every change, both could offer.
        await System.Threading.Tasks.Task.WhenAll(bookings.Select((id, i) => (i % 2 == 0 ? a : b).QueryAsync(Cancel, new { id })));

        async Task<List<Appointment>> AllOffersAsync() => [.. (await System.Threading.Tasks.Task.WhenAll(entries.Select(e => OffersAsync(store, e)))).SelectMany(o => o)];
        Assert.True(await UntilAsync(async () => (await AllOffersAsync()).Count >= Freed, seconds: 60), "every freed time was offered");
        await System.Threading.Tasks.Task.Delay(3000); // time for a second offer to appear, if one were coming
        var offers = await AllOffersAsync();
        Assert.Equal(Freed, offers.Count);
        Assert.All(offers, o => Assert.True(GatewayProfile.IsHold(o)));
        Assert.Equal(Freed, offers.Select(o => o.Slot.Single().Reference).Distinct().Count());
        var offeredEntries = offers.Select(o => o.Identifier.Single(i => i.System == GatewayProfile.WaitlistOfferSystem).Value).ToList();
        Assert.Equal(entries.Take(Freed).Order(), offeredEntries.Order());
    }

    [Fact]
    public async Task A_key_is_claimed_once_and_a_lease_held_by_one_across_connections()
    {
        await using var redis = await RedisServer.StartAsync();
        using var first = new RedisConnection(Microsoft.Extensions.Options.Options.Create(new RedisOptions { Configuration = redis.Configuration }));
        using var second = new RedisConnection(Microsoft.Extensions.Options.Options.Create(new RedisOptions { Configuration = redis.Configuration }));
        IInstanceClaims[] instances = [new RedisInstanceClaims(first), new RedisInstanceClaims(second)];

        var claims = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 20).Select(i => instances[i % 2].ClaimOnceAsync("k:event", TimeSpan.FromMinutes(1))));
        Assert.Equal(1, claims.Count(c => c));

        var lease = await instances[0].TryLeaseAsync("k:pass", TimeSpan.FromMinutes(1));
        Assert.NotNull(lease);
        Assert.Null(await instances[1].TryLeaseAsync("k:pass", TimeSpan.FromMinutes(1)));
        await instances[1].ReleaseAsync("k:pass", "not-the-holder");
        Assert.Null(await instances[1].TryLeaseAsync("k:pass", TimeSpan.FromMinutes(1)));
        await instances[0].ReleaseAsync("k:pass", lease!);
        Assert.NotNull(await instances[1].TryLeaseAsync("k:pass", TimeSpan.FromMinutes(1)));
    }
}

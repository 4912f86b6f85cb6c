using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.Waitlist;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Waitlist;
using Scheduling.Testing;
using Xunit.Abstractions;
using static Scheduling.Tests.Waitlist.WaitlistSteps;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// What a pass costs in FHIR requests does not grow with the line: a cancellation with a line of 5 and of 50 (and
/// as many entries waiting for another practitioner) costs the same requests; a sweep over the whole line costs one
/// more offers search per <see cref="WaitlistMatcher.OffersPerSearch"/> entries, nothing per entry. Requests are
/// counted at the gateway's upstream store.
/// </summary>
public sealed class WaitlistPassCostTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_pass_after_a_cancellation_costs_the_same_requests_for_a_line_of_5_and_of_50()
    {
        var five = await CancellationPassAsync(5);
        var fifty = await CancellationPassAsync(50);
        output.WriteLine($"requests of the pass after a cancellation: line of 5 (+5 elsewhere): {five.Scoped}; line of 50 (+50 elsewhere): {fifty.Scoped}");
        output.WriteLine($"requests of a sweep pass: line of 5 (+5 elsewhere): {five.Sweep}; line of 50 (+50 elsewhere): {fifty.Sweep}");
        Assert.Equal(five.Scoped, fifty.Scoped);
    }

    [Fact]
    public async Task A_sweep_costs_one_offers_search_more_per_50_entries_and_nothing_per_entry()
    {
        var five = await CancellationPassAsync(5);
        var fifty = await CancellationPassAsync(50);
        output.WriteLine($"requests of a sweep pass: line of 5 (+5 elsewhere): {five.Sweep}; line of 50 (+50 elsewhere): {fifty.Sweep}");
        Assert.InRange(fifty.Sweep - five.Sweep, 0, (2 * 50 / WaitlistMatcher.OffersPerSearch) - 1);
    }

    /// <summary>
    /// A line of <paramref name="waiting"/> for the practitioner whose booking is cancelled and as many for another
    /// practitioner with free time; the requests of the pass the cancellation triggers (which offers the freed time to
    /// the first in line), then of a sweep over the whole line (which offers the other's time to their first).
    /// </summary>
    private static async Task<(int Scoped, int Sweep)> CancellationPassAsync(int waiting)
    {
        var counting = new RequestCount();
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Waitlist:Enabled"] = "false" }, services =>
            services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (provider, _) => new CountingFhirStore(provider.GetRequiredService<InMemoryFhirStore>(), counting)));
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var elsewhere = await BookingWorld.CreateAsync(store, slots: 1);
        var booker = await PatientAsync(store, "Booker");
        var booked = await BookAsync(gateway, world.SlotId(0), booker.Id!);
        var now = DateTimeOffset.UtcNow;
        var entries = new List<string>();
        for (var i = 0; i < waiting; i++)
        {
            foreach (var w in new[] { world, elsewhere })
            {
                var patient = await PatientAsync(store, "Line" + i);
                var window = new TimeRange(w.Slots[0].Start!.Value.AddHours(-1), w.Slots[0].End!.Value.AddHours(1));
                var entry = await store.CreateAsync(WaitlistEntry.New(patient.Id!, [w.Practitioner.Id!], null, [window], 30, now.AddMilliseconds(i)), CancellationToken.None);
                if (w == world)
                {
                    entries.Add(entry.Id!);
                }
            }
        }

        await gateway.QueryAsync(Cancel, new { id = booked });
        var cancelled = (await store.ReadAsync<Appointment>(booked, CancellationToken.None))!;
        Assert.Equal(Appointment.AppointmentStatus.Cancelled, cancelled.Status);
        var service = gateway.Services.GetRequiredService<WaitlistService>();

        var before = counting.Requests;
        Assert.True(await service.PassAsync(WaitlistFreed.Of(cancelled, created: false, deleted: false)!, TimeSpan.FromSeconds(30), CancellationToken.None));
        var scoped = counting.Requests - before;
        Assert.Single(await OffersAsync(store, entries[0])); // the freed time went to the first in line
        Assert.Empty(await OffersAsync(store, entries[1]));

        before = counting.Requests;
        Assert.True(await service.PassAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        return (scoped, counting.Requests - before);
    }

    private sealed class RequestCount
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        public void Add() => Interlocked.Increment(ref _requests);
    }

    /// <summary>Counts every request the gateway sends its FHIR store (searches, reads, writes).</summary>
    private sealed class CountingFhirStore(IFhirStore inner, RequestCount count) : DelegatingFhirStore(inner)
    {
        public override Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken) => Counted(() => base.SearchAsync(query, cancellationToken));

        public override Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken) => Counted(() => base.SearchAllAsync(query, cancellationToken));

        public override Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken) => Counted(() => base.ReadAsync(reference, cancellationToken));

        public override Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken) => Counted(() => base.CreateAsync(resource, cancellationToken));

        public override Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken) =>
            Counted(() => base.UpdateAsync(resource, ifMatchVersionId, cancellationToken));

        public override Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken) =>
            Counted(() => base.CreateIfNoneExistAsync(resource, ifNoneExist, cancellationToken));

        public override Task DeleteAsync(Resource current, CancellationToken cancellationToken) => Counted(() => base.DeleteAsync(current, cancellationToken));

        public override Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken) =>
            Counted(() => base.TransactionAsync(writes, cancellationToken));

        private Task<TResult> Counted<TResult>(Func<Task<TResult>> call)
        {
            count.Add();
            return call();
        }

        private System.Threading.Tasks.Task Counted(Func<System.Threading.Tasks.Task> call)
        {
            count.Add();
            return call();
        }
    }
}

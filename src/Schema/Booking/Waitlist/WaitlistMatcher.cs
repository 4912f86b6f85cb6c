using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>What one pass of the matcher did.</summary>
public sealed record WaitlistPass(int Offered, int Fulfilled);

/// <summary>
/// One pass over the part of the line that could take what freed (<see cref="WaitlistFreed.Concerns"/>), first
/// entry first (<see cref="WaitlistEntry.LineOrder"/>): an entry whose offer was taken is FULFILLED; an entry with an
/// offer standing waits for its answer; any other is offered the first time now free in its windows, with one of its
/// practitioners or for its service, of its length, that it has not let pass: a hold through the ordinary hold path
/// (<see cref="TimeTaking"/>: every check and the patient's booking rules), expiring after
/// <see cref="WaitlistOptions.OfferMinutes"/>, marked as the entry's offer. An offer that expires or is cancelled
/// frees its time for the next pass, which offers it to the next in line.
/// Cost, whatever the line's length: one search for the line, one for the offers of the entries concerned (per
/// <see cref="OffersPerSearch"/>), one availability search per kind of entry (the same practitioners, service and
/// length) and merged window, and the holds; the free times are found once and handed out in line order
/// (<see cref="WaitlistEntry.Suits"/>, no search), so no later entry takes a time an earlier one waits for.
/// A second hold of the same time fails in the booking core; a second offer to the same entry fails on its
/// idempotency key (the entry's id and how many offers it had: the patient's guard serializes both); instances
/// run passes one at a time (<see cref="WaitlistService"/>), so the line is not skipped.
/// </summary>
public sealed class WaitlistMatcher(AppointmentChanges changes, AvailabilitySearch availability, TimeTaking taking, IOptions<WaitlistOptions> options)
{
    /// <summary>How many free times one entry tries before the pass moves on (each refused by its rules or lost to a race).</summary>
    private const int TriesPerEntry = 3;

    /// <summary>How many entries' offers one search asks for (an OR of identifiers: the URL stays short).</summary>
    public const int OffersPerSearch = 50;

    /// <summary>A pass over the whole line (the sweep).</summary>
    public Task<WaitlistPass> RunAsync(CancellationToken cancellationToken) => RunAsync(WaitlistFreed.All, cancellationToken);

    /// <summary>A pass over the entries that could take what <paramref name="freed"/> says freed.</summary>
    public async Task<WaitlistPass> RunAsync(WaitlistFreed freed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(freed);
        var now = changes.Now;
        if (!freed.Everything && freed.ScheduleIds.Count > 0)
        {
            freed = freed.WithSchedules(await changes.Store.SearchAllAsync<Schedule>(ScheduleSearches.ByIds(freed.ScheduleIds), cancellationToken));
        }

        var line = (await changes.Store.SearchAllAsync<Appointment>(WaitlistSearches.Waiting(), cancellationToken))
            .Select(a => (Appointment: a, Entry: WaitlistEntry.From(a)))
            .Where(x => x.Entry is not null && freed.Concerns(x.Entry))
            .OrderBy(x => x.Entry!, WaitlistEntry.LineOrder)
            .ToList();
        var offers = await WaitlistLine.OffersAsync(changes.Store, [.. line.Select(x => x.Entry!.Id)], cancellationToken);
        var fulfilled = 0;
        var waiting = new List<Waiting>();
        foreach (var (appointment, entry) in line)
        {
            var made = offers[entry!.Id].ToList();
            if (made.Any(WaitlistOffers.Taken))
            {
                await FulfilAsync(appointment, cancellationToken);
                fulfilled++;
            }
            else if (!made.Any(o => WaitlistOffers.Standing(o, now)))
            {
                waiting.Add(new Waiting(entry, made.Count, WaitlistOffers.Passed(made, now)));
            }
        }

        var free = await FreeTimesAsync(waiting, cancellationToken);
        var offered = 0;
        foreach (var entry in waiting)
        {
            foreach (var option in free.Where(entry.Suits).Take(TriesPerEntry))
            {
                if (await HoldAsync(entry, option, cancellationToken))
                {
                    free.Remove(option);
                    offered++;
                    break;
                }
            }
        }

        return new WaitlistPass(offered, fulfilled);
    }

    /// <summary>An entry without an offer standing: how many it had, the times it let pass.</summary>
    private sealed record Waiting(WaitlistEntry Entry, int Offers, IReadOnlyList<TimeRange> Passed)
    {
        public bool Suits(AvailabilityOption option) => Entry.Suits(option) && !Passed.Any(p => p.Overlaps(option.Offered.Span));
    }

    /// <summary>The hold offering the time to the entry's patient; false when the core or the patient's rules refuse it.</summary>
    private async Task<bool> HoldAsync(Waiting entry, AvailabilityOption option, CancellationToken cancellationToken)
    {
        // Held as the patient would hold it (their rights: no overbooking; the gateway's own caller reads the line).
        var gateway = changes.Access.Caller;
        changes.Access.Caller = Authorization.SchedulingAccess.OfferedAs(entry.Entry.PatientId);
        try
        {
            await taking.TakeAsync(new TakeRequest(
                new BookingTime(null, option.Offered), entry.Entry.PatientId, null, entry.Entry.ServiceType, null, "Offered from the waitlist",
                TimeSpan.FromMinutes(options.Value.OfferMinutes), "waitlist-offer:" + entry.Entry.Id + ":" + entry.Offers, entry.Entry.Id), cancellationToken);
            return true;
        }
        catch (SchedulingException)
        {
            // Taken meanwhile, refused by the patient's rules, or offered already by another pass (the key).
            return false;
        }
        finally
        {
            changes.Access.Caller = gateway;
        }
    }

    private static AvailabilityInput Criteria(WaitlistEntry entry, DateTimeOffset start, DateTimeOffset end) => new()
    {
        PractitionerIds = entry.PractitionerIds.Count > 0 ? entry.PractitionerIds : null,
        ServiceType = entry.ServiceType,
        Start = start,
        End = end,
        DurationMinutes = entry.DurationMinutes,
    };

    /// <summary>
    /// The times free now for every waiting entry, in availability's order: one search per kind of entry (the same
    /// practitioners, service and length) over each span its entries' windows cover together (from now on, at most
    /// <see cref="AvailabilitySearch.MaxWindowDays"/> a search), not one per entry and window.
    /// </summary>
    private async Task<List<AvailabilityOption>> FreeTimesAsync(IReadOnlyList<Waiting> waiting, CancellationToken cancellationToken)
    {
        var now = changes.Now;
        var options = new List<AvailabilityOption>();
        foreach (var kind in waiting.GroupBy(w => (string.Join(' ', w.Entry.PractitionerIds.Order(StringComparer.Ordinal)), w.Entry.ServiceType, w.Entry.DurationMinutes)))
        {
            var entry = kind.First().Entry;
            var length = TimeSpan.FromMinutes(entry.DurationMinutes);
            var windows = kind.SelectMany(w => w.Entry.Windows).Where(w => w.End - length >= now)
                .Select(w => new TimeRange(w.Start > now ? w.Start : now, w.End));
            foreach (var span in WaitlistWindows.Searches(windows, length, TimeSpan.FromDays(AvailabilitySearch.MaxWindowDays)))
            {
                options.AddRange(await availability.FindAsync(Criteria(entry, span.Start, span.End), cancellationToken));
            }
        }

        return [.. options.DistinctBy(o => o.Offered).OrderBy(o => o.Offered)];
    }

    private async System.Threading.Tasks.Task FulfilAsync(Appointment entry, CancellationToken cancellationToken)
    {
        var done = (Appointment)entry.DeepCopy();
        done.Status = AppointmentStatus.Fulfilled;
        try
        {
            await changes.ApplyAsync([FhirWrite.Update(entry, done)], cancellationToken);
        }
        catch (FhirVersionConflictException)
        {
            // Another instance's pass fulfilled it (or it was left) meanwhile.
        }
    }
}

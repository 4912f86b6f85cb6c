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
/// One pass over the line, first entry first (<see cref="WaitlistEntry.LineOrder"/>): an entry whose offer was
/// taken is FULFILLED; an entry with an offer standing waits for its answer; any other is offered the first time
/// now free in its windows, with one of its practitioners or for its service, of its length, that it has not let
/// pass: a hold through the ordinary hold path (<see cref="TimeTaking"/>: every check and the patient's booking
/// rules), expiring after <see cref="WaitlistOptions.OfferMinutes"/>, marked as the entry's offer. An offer that
/// expires or is cancelled frees its time for the next pass, which offers it to the next in line. Time may free up
/// while a pass reads: a time found for a later entry goes to the first entry in line it suits (asked of availability
/// as for that entry), so no later entry takes a time an earlier one waits for.
/// A second hold of the same time fails in the booking core; a second offer to the same entry fails on its
/// idempotency key (the entry's id and how many offers it had: the patient's guard serializes both); instances
/// run passes one at a time (<see cref="WaitlistService"/>), so the line is not skipped.
/// </summary>
public sealed class WaitlistMatcher(AppointmentChanges changes, AvailabilitySearch availability, TimeTaking taking, IOptions<WaitlistOptions> options)
{
    /// <summary>How many free times one entry tries before the pass moves on (each refused by its rules or lost to a race).</summary>
    private const int TriesPerEntry = 3;

    public async Task<WaitlistPass> RunAsync(CancellationToken cancellationToken)
    {
        var now = changes.Now;
        var line = (await changes.Store.SearchAllAsync<Appointment>(WaitlistSearches.Waiting(), cancellationToken))
            .Select(a => (Appointment: a, Entry: WaitlistEntry.From(a)))
            .Where(x => x.Entry is not null)
            .OrderBy(x => x.Entry!, WaitlistEntry.LineOrder)
            .ToList();
        var fulfilled = 0;
        var waiting = new List<Waiting>();
        foreach (var (appointment, entry) in line)
        {
            var offers = await WaitlistLine.OffersAsync(changes.Store, entry!.Id, cancellationToken);
            if (offers.Any(WaitlistOffers.Taken))
            {
                await FulfilAsync(appointment, cancellationToken);
                fulfilled++;
            }
            else if (!offers.Any(o => WaitlistOffers.Standing(o, now)))
            {
                waiting.Add(new Waiting(entry, offers.Count, WaitlistOffers.Passed(offers, now)));
            }
        }

        var offered = 0;
        foreach (var entry in waiting)
        {
            offered += await OfferAsync(entry, waiting, cancellationToken);
        }

        return new WaitlistPass(offered, fulfilled);
    }

    /// <summary>An entry without an offer standing: how many it had, the times it let pass, whether this pass offered it one.</summary>
    private sealed record Waiting(WaitlistEntry Entry, int Offers, IReadOnlyList<TimeRange> Passed)
    {
        public bool Offered { get; set; }

        public bool LetPass(AvailabilityOption option) => Passed.Any(p => p.Overlaps(option.Offered.Span));
    }

    /// <summary>
    /// Offers the times free for <paramref name="entry"/>, each to the first entry in line that it suits (time may
    /// free up while a pass reads, so an earlier entry may not have seen it), until <paramref name="entry"/> has one;
    /// returns how many offers it made.
    /// </summary>
    private async Task<int> OfferAsync(Waiting entry, List<Waiting> line, CancellationToken cancellationToken)
    {
        var (made, tries) = (0, 0);
        foreach (var option in await FreeTimesAsync(entry.Entry, cancellationToken))
        {
            if (entry.Offered || tries >= TriesPerEntry)
            {
                break;
            }

            if (entry.LetPass(option))
            {
                continue;
            }

            var first = entry;
            foreach (var earlier in line.TakeWhile(w => w != entry).Where(w => !w.Offered && !w.LetPass(option)))
            {
                if (await SuitsAsync(earlier.Entry, option, cancellationToken))
                {
                    first = earlier;
                    break;
                }
            }

            tries++;
            if (await HoldAsync(first, option, cancellationToken))
            {
                first.Offered = true;
                made++;
            }
        }

        return made;
    }

    /// <summary>Whether availability, asked as for this entry over exactly the option's span, offers that very time.</summary>
    private async Task<bool> SuitsAsync(WaitlistEntry entry, AvailabilityOption option, CancellationToken cancellationToken) =>
        (int)option.Offered.Span.Length.TotalMinutes == entry.DurationMinutes
        && entry.Windows.Any(w => w.Contains(option.Offered.Span))
        && (await availability.FindAsync(Criteria(entry, option.Start, option.End), cancellationToken)).Any(o => o.Offered == option.Offered);

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

    /// <summary>The times free for the entry now, in availability's order, over its windows (from now on).</summary>
    private async Task<IReadOnlyList<AvailabilityOption>> FreeTimesAsync(WaitlistEntry entry, CancellationToken cancellationToken)
    {
        var now = changes.Now;
        var options = new List<AvailabilityOption>();
        foreach (var window in entry.Windows.Where(w => w.End > now).OrderBy(w => w.Start))
        {
            var start = window.Start > now ? window.Start : now;
            if (window.End - start < TimeSpan.FromMinutes(entry.DurationMinutes))
            {
                continue;
            }

            options.AddRange(await availability.FindAsync(Criteria(entry, start, window.End), cancellationToken));
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

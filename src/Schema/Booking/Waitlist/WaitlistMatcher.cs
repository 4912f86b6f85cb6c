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
/// expires or is cancelled frees its time for the next pass, which offers it to the next in line.
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
        var (offered, fulfilled) = (0, 0);
        foreach (var (appointment, entry) in line)
        {
            var offers = await WaitlistLine.OffersAsync(changes.Store, entry!.Id, cancellationToken);
            if (offers.Any(WaitlistOffers.Taken))
            {
                await FulfilAsync(appointment, cancellationToken);
                fulfilled++;
            }
            else if (!offers.Any(o => WaitlistOffers.Standing(o, now)) && await OfferAsync(entry, offers, cancellationToken))
            {
                offered++;
            }
        }

        return new WaitlistPass(offered, fulfilled);
    }

    /// <summary>Offers the entry the first time free for it; false when none is (or each it tried was refused).</summary>
    private async Task<bool> OfferAsync(WaitlistEntry entry, IReadOnlyList<Appointment> offers, CancellationToken cancellationToken)
    {
        var passed = WaitlistOffers.Passed(offers, changes.Now);
        var tries = 0;
        foreach (var option in await FreeTimesAsync(entry, cancellationToken))
        {
            if (passed.Any(p => p.Overlaps(option.Offered.Span)))
            {
                continue;
            }

            try
            {
                await taking.TakeAsync(new TakeRequest(
                    new BookingTime(null, option.Offered), entry.PatientId, null, entry.ServiceType, null, "Offered from the waitlist",
                    TimeSpan.FromMinutes(options.Value.OfferMinutes), "waitlist-offer:" + entry.Id + ":" + offers.Count, entry.Id), cancellationToken);
                return true;
            }
            catch (SchedulingException e) when (e.Error is SlotUnavailableError or ValidationError or ConflictError && ++tries < TriesPerEntry)
            {
                // Taken meanwhile, or refused by the patient's rules: the next free time.
            }
            catch (SchedulingException)
            {
                return false;
            }
        }

        return false;
    }

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

            options.AddRange(await availability.FindAsync(new AvailabilityInput
            {
                PractitionerIds = entry.PractitionerIds.Count > 0 ? entry.PractitionerIds : null,
                ServiceType = entry.ServiceType,
                Start = start,
                End = window.End,
                DurationMinutes = entry.DurationMinutes,
            }, cancellationToken));
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

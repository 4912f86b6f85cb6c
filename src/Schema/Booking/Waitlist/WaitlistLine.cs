using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>One entry as the line shows it: the entry, its appointment, and the offer standing for it, if any.</summary>
public sealed record WaitlistPlace(WaitlistEntry Entry, Appointment Appointment, Appointment? Offer);

/// <summary>
/// The line as a caller may see it (waitlist query): the waiting entries in line order, narrowed as every
/// appointment read is (<see cref="Authorization.SchedulingAccess.Narrow"/>): a patient sees only their own entries,
/// a practitioner those naming them, schedulers and admins the whole line.
/// </summary>
public sealed class WaitlistLine(AppointmentChanges changes)
{
    /// <summary>The first <paramref name="first"/> waiting entries the caller may see, in line order, each with its standing offer.</summary>
    public async Task<IReadOnlyList<WaitlistPlace>> ReadAsync(string? patientId, string? practitionerId, string? serviceType, int first, CancellationToken cancellationToken)
    {
        var access = changes.Access;
        var query = WaitlistSearches.Waiting();
        if (patientId is not null)
        {
            AppointmentSearches.NarrowedTo(query, FhirReference.For<Patient>(patientId));
        }

        if (practitionerId is not null)
        {
            AppointmentSearches.NarrowedTo(query, FhirReference.For<Practitioner>(practitionerId));
        }

        var entries = (await changes.Store.SearchAllAsync<Appointment>(access.Narrow(query), cancellationToken))
            .Where(access.CanSee)
            .Select(a => (Appointment: a, Entry: WaitlistEntry.From(a)))
            .Where(x => x.Entry is not null && (serviceType is null || string.Equals(x.Entry.ServiceType, serviceType, StringComparison.Ordinal)))
            .OrderBy(x => x.Entry!, WaitlistEntry.LineOrder)
            .Take(first)
            .ToList();
        var offers = await OffersAsync(changes.Store, [.. entries.Select(x => x.Entry!.Id)], cancellationToken);
        return [.. entries.Select(x => new WaitlistPlace(x.Entry!, x.Appointment, offers[x.Entry!.Id].FirstOrDefault(o => WaitlistOffers.Standing(o, changes.Now))))];
    }

    /// <summary>Every offer made to each entry, any status, by entry id: one search per <see cref="WaitlistMatcher.OffersPerSearch"/> entries.</summary>
    internal static async Task<ILookup<string, Appointment>> OffersAsync(IFhirStore store, IReadOnlyList<string> entryIds, CancellationToken cancellationToken)
    {
        var offers = new List<Appointment>();
        foreach (var chunk in entryIds.Chunk(WaitlistMatcher.OffersPerSearch))
        {
            offers.AddRange(await store.SearchAllAsync<Appointment>(WaitlistSearches.OffersToAny(chunk), cancellationToken));
        }

        return offers.ToLookup(o => WaitlistEntry.OfferedTo(o) ?? string.Empty, StringComparer.Ordinal);
    }
}

/// <summary>What an entry's offers say: one standing, one taken (booked), or the times it let pass.</summary>
public static class WaitlistOffers
{
    /// <summary>An offer waiting for the patient's answer: a hold not yet expired.</summary>
    public static bool Standing(Appointment offer, DateTimeOffset now) =>
        GatewayProfile.IsHold(offer) && !GatewayProfile.IsExpiredHold(offer, now);

    /// <summary>An offer the patient took: confirmed (booked) or gone on from there (arrived, checked in, fulfilled, no-show).</summary>
    public static bool Taken(Appointment offer) =>
        offer?.Status is Appointment.AppointmentStatus.Booked or Appointment.AppointmentStatus.Arrived or Appointment.AppointmentStatus.CheckedIn
            or Appointment.AppointmentStatus.Fulfilled or Appointment.AppointmentStatus.Noshow;

    /// <summary>The times an entry let pass (offers that expired or were cancelled): not offered to it again.</summary>
    public static IReadOnlyList<TimeRange> Passed(IEnumerable<Appointment> offers, DateTimeOffset now) =>
        [.. (offers ?? []).Where(o => !Standing(o, now) && !Taken(o)).Select(o => TimeRange.Of(o.Start, o.End)).OfType<TimeRange>()];
}

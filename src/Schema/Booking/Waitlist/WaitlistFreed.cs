using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>
/// Whose time a change may have freed, so that a pass looks only at the entries that could take it: the
/// practitioners of a cancelled, rescheduled, expired or declined appointment, the schedule of a freed or deleted
/// slot, a changed schedule (new availability) with its actors and services; or everything (the sweep, or a change
/// that does not say). Joining or leaving the waitlist frees nobody's time, nor does an appointment created taking time.
/// </summary>
public sealed record WaitlistFreed(IReadOnlySet<string> Practitioners, IReadOnlySet<string> ScheduleIds, IReadOnlySet<string> ServiceTypes, bool Everything)
{
    /// <summary>Any entry may take what freed (the sweep; a change that does not say whose time it was).</summary>
    public static readonly WaitlistFreed All = new(new HashSet<string>(), new HashSet<string>(), new HashSet<string>(), true);

    /// <summary>What a change to <paramref name="resource"/> may have freed; null when it frees nothing (<paramref name="deleted"/>: it was deleted).</summary>
    public static WaitlistFreed? Of(Resource? resource, bool created, bool deleted) => resource switch
    {
        Appointment a when WaitlistEntry.IsEntry(a) => null,
        Appointment { Status: Appointment.AppointmentStatus.Booked or Appointment.AppointmentStatus.Pending or Appointment.AppointmentStatus.Proposed } when created && !deleted => null,
        Appointment a => Named(a.Participant.Select(p => FhirReference.From(p.Actor)).OfType<FhirReference>(), [], Services(a.ServiceType)),
        Slot s when deleted || s.Status == Slot.SlotStatus.Free => FhirReference.From(s.Schedule) is { } schedule ? Named([], [schedule.Id], []) : All,
        Slot => null,
        Schedule s => Named(BookingChecks.Actors(s), s.Id is null ? [] : [s.Id], Services(s.ServiceType)),
        null => All, // a deletion whose last version is unknown
        _ => null,
    };

    /// <summary>Whose time either freed.</summary>
    public WaitlistFreed With(WaitlistFreed other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Everything || other.Everything ? All : new(
            Practitioners.Union(other.Practitioners).ToHashSet(StringComparer.Ordinal),
            ScheduleIds.Union(other.ScheduleIds).ToHashSet(StringComparer.Ordinal),
            ServiceTypes.Union(other.ServiceTypes).ToHashSet(StringComparer.Ordinal),
            false);
    }

    /// <summary>The same, with the actors and services of the freed schedules (read by the pass) added.</summary>
    public WaitlistFreed WithSchedules(IEnumerable<Schedule> schedules) =>
        (schedules ?? []).Aggregate(this, (freed, s) => freed.With(Named(BookingChecks.Actors(s), [], Services(s.ServiceType))));

    /// <summary>Whether the entry could take time that freed: it names one of the practitioners, or waits for one of the services with nobody named.</summary>
    public bool Concerns(WaitlistEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Everything || entry.PractitionerIds.Any(Practitioners.Contains)
            || (entry.PractitionerIds.Count == 0 && entry.ServiceType is { } service
                && (ServiceTypes.Contains(service) || ServiceTypes.Contains(service[(service.IndexOf('|', StringComparison.Ordinal) + 1)..])));
    }

    private static WaitlistFreed Named(IEnumerable<FhirReference> actors, IEnumerable<string> schedules, IEnumerable<string> services) => new(
        actors.Where(a => a.ResourceType == "Practitioner").Select(a => a.Id).ToHashSet(StringComparer.Ordinal),
        schedules.ToHashSet(StringComparer.Ordinal),
        services.ToHashSet(StringComparer.Ordinal),
        false);

    private static IEnumerable<string> Services(IEnumerable<CodeableConcept> concepts) =>
        concepts.SelectMany(c => c.Coding.Select(k => k.Code).Append(c.Text)).OfType<string>();
}

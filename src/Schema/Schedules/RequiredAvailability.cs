using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.MultiResource;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Schedules;

/// <summary>
/// One entry of availability's <c>requires</c> (exactly one field given): a practitioner, a pool ("any of these
/// practitioners"), a location, a device or a healthcare service; whichever has schedules in the store.
/// </summary>
public sealed record RequiredActor
{
    public string? PractitionerId { get; init; }

    public IReadOnlyList<string>? AnyOfPractitionerIds { get; init; }

    public string? LocationId { get; init; }

    public string? DeviceId { get; init; }

    public string? HealthcareServiceId { get; init; }

    /// <summary>The most practitioners one pool lists.</summary>
    public const int MaxPool = 20;

    public bool IsPool => AnyOfPractitionerIds is not null;

    /// <summary>The actors that satisfy the entry, in the caller's order (one, or a pool's); a typed refusal unless exactly one field is given.</summary>
    public IReadOnlyList<FhirReference> Candidates()
    {
        List<FhirReference> given = [
            .. PractitionerId is { } p ? [FhirReference.For<Practitioner>(p)] : Array.Empty<FhirReference>(),
            .. LocationId is { } l ? [FhirReference.For<Location>(l)] : Array.Empty<FhirReference>(),
            .. DeviceId is { } d ? [FhirReference.For<Device>(d)] : Array.Empty<FhirReference>(),
            .. HealthcareServiceId is { } h ? [FhirReference.For<HealthcareService>(h)] : Array.Empty<FhirReference>()];
        if ((given.Count > 0) == IsPool || given.Count > 1)
        {
            throw new UserInputError("Each entry of 'requires' gives exactly one of practitionerId, anyOfPractitionerIds, locationId, deviceId, healthcareServiceId.");
        }

        if (AnyOfPractitionerIds is { } pool && (pool.Count is 0 or > MaxPool || pool.Distinct().Count() != pool.Count))
        {
            throw new UserInputError($"'anyOfPractitionerIds' lists 1 to {MaxPool} different practitioners.");
        }

        return IsPool ? [.. AnyOfPractitionerIds!.Select(FhirReference.For<Practitioner>)] : given;
    }
}

/// <summary>One schedule a multi-resource option takes: its actor for the entry, its slots, and for a pool which policy chose the practitioner.</summary>
public sealed record OptionPart(Schedule Schedule, FhirReference Actor, IReadOnlyList<string> SlotIds, AvailabilitySource Source, PoolAssignment? AssignedBy);

/// <summary>
/// Availability over a set of required actors (a surgeon, a room and a device; any practitioner of a pool): a time
/// is offered only where every entry has a schedule offering exactly that span. Each schedule's options are what
/// <see cref="AvailabilitySearch"/> offers it (free slots or rule time, capacity, busy time of its actors: the one
/// computation, asked once for every candidate schedule), intersected here. Each option names every schedule and
/// slot it takes (<see cref="OptionPart"/>); its id names every schedule (<see cref="OfferedTime.IsMultiPart"/>) and
/// books all of them (<see cref="SlotReservation.PlanPartsAsync"/>).
/// </summary>
public sealed class RequiredAvailability(IFhirStore store, AvailabilitySearch availability, IOptions<PoolAssignmentOptions> pools)
{
    public async Task<IReadOnlyList<AvailabilityOption>> FindAsync(AvailabilityInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var entries = (input.Requires ?? []).ToList();
        if (entries.Count is 0 or > SlotReservation.MaxParts)
        {
            throw new UserInputError($"'requires' lists 1 to {SlotReservation.MaxParts} entries.");
        }

        if (input.PractitionerIds is not null || input.ScheduleIds is not null || input.LocationId is not null)
        {
            throw new UserInputError("Give 'requires' alone, without practitionerIds, scheduleIds or locationId.");
        }

        var candidates = entries.Select(e => e.Candidates()).ToList();
        var schedules = (await store.SearchAllAsync<Schedule>(
            ScheduleSearches.WithActors([.. candidates.SelectMany(c => c).Distinct().Select(a => a.ToString())], null, null), cancellationToken))
            .Where(BookingChecks.IsActive).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        if (schedules.Count == 0)
        {
            return [];
        }

        var offered = await availability.FindAsync(input with { Requires = null, ScheduleIds = [.. schedules.Select(s => s.Id!)] }, cancellationToken);
        var booked = entries.Any(e => e.IsPool) && pools.Value.PoolAssignment == PoolAssignment.LeastBookedThatDay
            ? await BookedByDayAsync([.. candidates.Where((_, i) => entries[i].IsPool).SelectMany(c => c).Distinct()], offered, cancellationToken)
            : null;
        var options = new List<AvailabilityOption>();
        foreach (var atSpan in offered.GroupBy(o => (o.Start, o.End)))
        {
            if (Assign(entries, candidates, atSpan.ToDictionary(o => o.Schedule.Id!), schedules, booked) is { } parts)
            {
                options.Add(Combined(parts, atSpan.ToDictionary(o => o.Schedule.Id!)));
            }
        }

        return [.. options.OrderBy(o => o.Offered)];
    }

    /// <summary>A multi-part option asked again by id (node(id:)): each part still offered as it was, else null.</summary>
    public async Task<AvailabilityOption?> FindOfferedAsync(OfferedTime offered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offered);
        var parts = new List<AvailabilityOption>();
        foreach (var part in offered.Parts)
        {
            if (await availability.FindOfferedAsync(part, cancellationToken) is not { } found)
            {
                return null;
            }

            parts.Add(found);
        }

        return Combined([.. parts.Select(p => new OptionPart(p.Schedule, FirstActor(p.Schedule), p.SlotIds, p.Source, null))],
            parts.ToDictionary(p => p.Schedule.Id!));
    }

    /// <summary>A schedule's first actor (default when it has none): what a one-schedule part is for.</summary>
    public static FhirReference FirstActor(Schedule schedule) => BookingChecks.Actors(schedule) is { Count: > 0 } actors ? actors[0] : default;

    /// <summary>
    /// The schedules for one span, each entry in turn (pools last, so a practitioner required by name is not given to a
    /// pool): an entry whose actor a schedule already chosen has is met by it; else the first candidate (in the
    /// pool's policy order) with a schedule offering the span whose actors are not taken yet. Null when an entry is unmet.
    /// </summary>
    private List<OptionPart>? Assign(
        List<RequiredActor> entries, List<IReadOnlyList<FhirReference>> candidates, Dictionary<string, AvailabilityOption> offering,
        List<Schedule> schedules, Dictionary<(FhirReference, DateOnly), int>? booked)
    {
        var parts = new List<OptionPart>();
        var taken = new HashSet<FhirReference>();
        foreach (var i in Enumerable.Range(0, entries.Count).OrderBy(i => entries[i].IsPool ? 1 : 0))
        {
            if (candidates[i].Any(taken.Contains))
            {
                continue;
            }

            var free = candidates[i].Where(a => FreeSchedule(a) is not null).ToList();
            var day = DateOnly.FromDateTime(offering.Values.First().Start.UtcDateTime);
            var order = entries[i].IsPool
                ? pools.Value.Order([.. free.Select(a => a.Id)], id => booked?.GetValueOrDefault((FhirReference.For<Practitioner>(id), day)) ?? 0)
                    .Select(FhirReference.For<Practitioner>)
                : free;
            if (order.FirstOrDefault() is not { ResourceType: not null } actor || FreeSchedule(actor) is not { } schedule)
            {
                return null;
            }

            var option = offering[schedule.Id!];
            parts.Add(new OptionPart(schedule, actor, option.SlotIds, option.Source, entries[i].IsPool ? pools.Value.PoolAssignment : null));
            taken.UnionWith(BookingChecks.Actors(schedule));
        }

        return parts;

        Schedule? FreeSchedule(FhirReference actor) =>
            schedules.FirstOrDefault(s => offering.ContainsKey(s.Id!) && BookingChecks.Actors(s).Contains(actor) && !BookingChecks.Actors(s).Any(taken.Contains));
    }

    /// <summary>The option taking every part: its id names each part's schedule; its slots all parts' slots; seats left the fewest of any part.</summary>
    private static AvailabilityOption Combined(List<OptionPart> parts, Dictionary<string, AvailabilityOption> offering)
    {
        var first = offering[parts[0].Schedule.Id!];
        return new AvailabilityOption(first.Start, first.End, parts[0].Schedule, [.. parts.SelectMany(p => p.SlotIds)], first.Source,
            parts.Min(p => offering[p.Schedule.Id!].SeatsLeft)) { Parts = parts };
    }

    /// <summary>Each pool practitioner's active appointments per UTC day over the days the options fall on (one search).</summary>
    private async Task<Dictionary<(FhirReference, DateOnly), int>> BookedByDayAsync(
        IReadOnlyList<FhirReference> practitioners, IReadOnlyList<AvailabilityOption> offered, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<(FhirReference, DateOnly), int>();
        if (offered.Count == 0)
        {
            return counts;
        }

        var from = offered.Min(o => o.Start).UtcDateTime.Date;
        var to = offered.Max(o => o.End).UtcDateTime.Date.AddDays(1);
        var appointments = await store.SearchAllAsync<Appointment>(
            AppointmentSearches.ActiveOverlapping(practitioners.Select(p => p.ToString()), new DateTimeOffset(from, TimeSpan.Zero), new DateTimeOffset(to, TimeSpan.Zero)),
            cancellationToken);
        foreach (var appointment in appointments.DistinctBy(a => a.Id))
        {
            if (appointment.Start is not { } start)
            {
                continue;
            }

            var day = DateOnly.FromDateTime(start.UtcDateTime);
            foreach (var actor in appointment.Participant.Select(p => FhirReference.From(p.Actor)).OfType<FhirReference>().Where(practitioners.Contains))
            {
                counts[(actor, day)] = counts.GetValueOrDefault((actor, day)) + 1;
            }
        }

        return counts;
    }
}

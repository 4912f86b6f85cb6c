using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Schedules;

public enum AvailabilitySource
{
    /// <summary>Free FHIR Slots (classic FHIR scheduling).</summary>
    Slot,

    /// <summary>Computed from the schedule's recurring availability rule; booking creates the Slot.</summary>
    Rule,
}

/// <summary>
/// A bookable time: book it by its id (<see cref="Offered"/>) or by passing <see cref="SlotIds"/> to bookAppointment or
/// holdSlots. <see cref="SeatsLeft"/>: how many more bookings it takes (<see cref="SlotSeats"/>; 1 for a one-seat time).
/// </summary>
public sealed record AvailabilityOption(DateTimeOffset Start, DateTimeOffset End, Schedule Schedule, IReadOnlyList<string> SlotIds, AvailabilitySource Source, int SeatsLeft = 1)
{
    /// <summary>What the option's id names (every part's schedule when it takes several: <see cref="RequiredAvailability"/>), and its place in availability's order.</summary>
    public OfferedTime Offered => Parts is { Count: > 1 } parts
        ? OfferedTime.Of(parts.Select(p => p.Schedule.Id ?? string.Empty), Start, End)
        : new(Schedule.Id ?? string.Empty, Start, End);

    /// <summary>The schedules it takes when asked with <c>requires</c> (null: its one schedule).</summary>
    public IReadOnlyList<OptionPart>? Parts { get; init; }
}

public sealed record AvailabilityInput
{
    public IEnumerable<string>? PractitionerIds { get; init; }

    public IEnumerable<string>? ScheduleIds { get; init; }

    public string? LocationId { get; init; }

    public string? ServiceType { get; init; }

    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }

    public int? DurationMinutes { get; init; }

    /// <summary>Every one of these at once (<see cref="RequiredAvailability"/>); alone, without practitioners, schedules or location.</summary>
    public IEnumerable<RequiredActor>? Requires { get; init; }
}

/// <summary>
/// Finds bookable times across schedules: free Slots where a schedule has no rule, times computed from its
/// availability rule where it has one, both minus busy time, within the planning horizon, never in the past, and
/// only where booking would not refuse them for lead time, days ahead or a practitioner's caps. One computation
/// (<see cref="CandidatesAsync"/>): availability is the candidates with no reason (<see cref="Unoffered"/>), and
/// <see cref="ExplainAsync"/> lists every candidate with its reasons.
/// </summary>
public sealed class AvailabilitySearch(IFhirStore store, TimeProvider time, IOptions<BookingOptions> options)
{
    public const int MaxWindowDays = 62;

    /// <summary>The longest span explainAvailability answers for (it lists every candidate, offered or not).</summary>
    public const int MaxExplainDays = 7;

    public async Task<IReadOnlyList<AvailabilityOption>> FindAsync(AvailabilityInput input, CancellationToken cancellationToken) =>
        [.. (await CandidatesAsync(input, everyCandidate: false, cancellationToken)).Where(c => c.Offered).Select(c => c.Option)
            .DistinctBy(o => o.Offered).OrderBy(o => o.Offered)];

    /// <summary>
    /// Every candidate time of the span (at most <see cref="MaxExplainDays"/> days), offered or not, with every reason
    /// it is not: one per schedule and span (offered first where two candidates make one span), in availability's order.
    /// </summary>
    public async Task<IReadOnlyList<ExplainedTime>> ExplainAsync(AvailabilityInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Start is { } start && input.End is { } end && end - start > TimeSpan.FromDays(MaxExplainDays))
        {
            throw new UserInputError($"Explain at most {MaxExplainDays} days at a time.");
        }

        List<ExplainedTime> explained = [.. (await CandidatesAsync(input, everyCandidate: true, cancellationToken))
            .OrderBy(c => c.Offered ? 0 : 1).DistinctBy(c => c.Option.Offered).OrderBy(c => c.Option.Offered)];
        return explained.Count <= MaxExplained ? explained
            : throw new UserInputError($"This span has {explained.Count} candidate times; explain at most {MaxExplained} at a time (a shorter span, or one schedule).");
    }

    /// <summary>The most candidate times one explainAvailability answers (a week of one schedule on a 5-minute grid).</summary>
    public const int MaxExplained = MaxExplainDays * 24 * 12;

    /// <summary>
    /// The candidate times of every matching schedule with their reasons. Without <paramref name="everyCandidate"/>
    /// (availability) candidates that would carry a reason of the schedule or of the rule's hours are not made at all
    /// (an inactive schedule, time outside the horizon, a rule's hours): the walk is availability's own size.
    /// </summary>
    private async Task<IReadOnlyList<ExplainedTime>> CandidatesAsync(AvailabilityInput input, bool everyCandidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = time.GetUtcNow();
        var from = input.Start is { } start && start > now ? start : now;
        var to = input.End ?? from.AddDays(14);
        if (to <= from)
        {
            throw new UserInputError("'end' must be after 'start' (and after now).");
        }

        if (to - from > TimeSpan.FromDays(MaxWindowDays))
        {
            throw new UserInputError($"Ask for at most {MaxWindowDays} days at a time.");
        }

        if (input.DurationMinutes is < 5 or > 24 * 60)
        {
            throw new UserInputError("'durationMinutes' must be between 5 and 1440.");
        }

        var schedules = await FindSchedulesAsync(input, cancellationToken);
        if (schedules.Count == 0)
        {
            return [];
        }

        // The same two searches booking checks busy time with, once for every schedule: the slots overlapping the
        // window (a long block that starts earlier hides what it covers) and the active appointments of every actor
        // of the schedules, on whatever schedule (time an actor gave elsewhere is not offered here); and, where a
        // practitioner cap is set, what the caps count (BookingCaps), over the weeks of the window.
        // Busy time is read over the window with the widest buffers of the schedules' rules (AvailabilityRule.Buffered),
        // as booking reads it over a span's: a booking just outside the window keeps its buffer inside it.
        var actors = schedules.SelectMany(BookingChecks.Actors).Distinct().ToList();
        var reach = schedules.Select(AvailabilityRule.FromSchedule).OfType<AvailabilityRule>().Select(r => r.Buffered(new TimeRange(from, to)))
            .Aggregate(new TimeRange(from, to), (wide, r) => new TimeRange(r.Start < wide.Start ? r.Start : wide.Start, r.End > wide.End ? r.End : wide.End));
        var slotSearch = store.SearchAllAsync<Slot>(
            SlotSearches.Overlapping(schedules.Select(s => s.Id!), reach.Start, reach.End).SortBy([("start", false)]), cancellationToken);
        var appointmentSearch = actors.Count == 0 ? Task.FromResult<IReadOnlyList<Appointment>>([])
            : store.SearchAllAsync<Appointment>(AppointmentSearches.ActiveOverlapping(actors.Select(a => a.ToString()), reach.Start, reach.End), cancellationToken);
        var capped = schedules.Where(s => BookingLimits.Of(s, options.Value) is { } l && (l.MaxPerDay > 0 || l.MaxPerWeek > 0))
            .SelectMany(BookingCaps.CappedActors).Distinct().ToList();
        var countedSearch = capped.Count == 0 ? Task.FromResult<IReadOnlyList<Appointment>>([])
            : store.SearchAllAsync<Appointment>(AppointmentSearches.CountedStarting(capped.Select(a => a.ToString()), from.AddDays(-8), to.AddDays(8)), cancellationToken);
        await Task.WhenAll(slotSearch, appointmentSearch, countedSearch);
        var slotsBySchedule = (await slotSearch).ToLookup(s => FhirReference.From(s.Schedule)?.Id);
        var appointments = await appointmentSearch;
        var counted = await countedSearch;

        var candidates = new List<ExplainedTime>();
        foreach (var schedule in schedules)
        {
            var window = everyCandidate ? new TimeRange(from, to)
                : BookingChecks.IsActive(schedule) ? BookingChecks.WithinHorizon(schedule, new TimeRange(from, to)) : null;
            if (window is not var (windowFrom, windowTo))
            {
                continue;
            }

            var own = new AvailabilityCandidates(slotsBySchedule[schedule.Id].ToList(), appointments, BookingChecks.Actors(schedule), now);
            var found = AvailabilityRule.FromSchedule(schedule) is { } rule
                ? own.FromRule(schedule, rule, windowFrom, windowTo, input.DurationMinutes, everyCandidate)
                : own.FromSlots(schedule, windowFrom, windowTo, input.DurationMinutes, everyCandidate);
            var caps = Caps(schedule, counted, now);
            candidates.AddRange(found.Select(c => c with
            {
                Reasons = c.Reasons | UnofferedReasons.OfSchedule(schedule, new TimeRange(c.Option.Start, c.Option.End), options.Value, now, caps),
            }));
        }

        return candidates;
    }

    /// <summary>
    /// The practitioner caps of a schedule as a booking starting at an instant would meet them
    /// (<see cref="BookingCaps.PractitionerCapsBroken"/>, the rule's own decision), once per local day.
    /// </summary>
    private Func<DateTimeOffset, Unoffered> Caps(Schedule schedule, IReadOnlyList<Appointment> counted, DateTimeOffset now)
    {
        var limits = BookingLimits.Of(schedule, options.Value);
        if ((limits.MaxPerDay == 0 && limits.MaxPerWeek == 0) || BookingCaps.CappedActors(schedule).Count == 0)
        {
            return _ => Unoffered.None;
        }

        var zone = BookingCaps.ZoneOf(schedule);
        var byDay = new Dictionary<DateTimeOffset, Unoffered>();
        return start =>
        {
            var day = BookingCaps.DayOf(start, zone).Start;
            if (!byDay.TryGetValue(day, out var reasons))
            {
                byDay[day] = reasons = UnofferedReasons.OfCaps(BookingCaps.PractitionerCapsBroken(limits, schedule, start, counted, [], null, now));
            }

            return reasons;
        };
    }

    /// <summary>
    /// The option an option id names, if it is still offered exactly: availability asked again for its schedule,
    /// its span and its length (what <c>node(id:)</c> answers); null when it is gone, booked or past.
    /// </summary>
    public async Task<AvailabilityOption?> FindOfferedAsync(OfferedTime offered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offered);
        var minutes = offered.Span.Length.TotalMinutes;
        if (offered.Start < time.GetUtcNow() || minutes is < 5 or > 24 * 60 || minutes != Math.Floor(minutes))
        {
            return null;
        }

        var input = new AvailabilityInput { ScheduleIds = [offered.ScheduleId], Start = offered.Start, End = offered.End, DurationMinutes = (int)minutes };
        return (await FindAsync(input, cancellationToken)).FirstOrDefault(o => o.Offered == offered);
    }

    private async Task<IReadOnlyList<Schedule>> FindSchedulesAsync(AvailabilityInput input, CancellationToken cancellationToken)
    {
        if (input.ScheduleIds?.ToList() is { Count: > 0 } ids)
        {
            return await store.SearchAllAsync<Schedule>(ScheduleSearches.ByIds(ids), cancellationToken);
        }

        // Inactive ones are left out by the caller (BookingChecks.IsActive): an absent 'active' is active, which no search says.
        var query = ScheduleSearches.WithActors(
            [.. (input.PractitionerIds ?? []).Select(id => "Practitioner/" + id)],
            input.LocationId is { } location ? "Location/" + location : null,
            input.ServiceType);
        return await store.SearchAllAsync<Schedule>(query, cancellationToken);
    }
}

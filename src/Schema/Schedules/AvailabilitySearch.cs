using Hl7.Fhir.Model;
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
/// availability rule where it has one, both minus busy time, within the planning horizon, never in the past.
/// </summary>
public sealed class AvailabilitySearch(IFhirStore store, TimeProvider time)
{
    public const int MaxWindowDays = 62;

    public async Task<IReadOnlyList<AvailabilityOption>> FindAsync(AvailabilityInput input, CancellationToken cancellationToken)
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
        // of the schedules, on whatever schedule (time an actor gave elsewhere is not offered here).
        var actors = schedules.SelectMany(BookingChecks.Actors).Distinct().ToList();
        var slotSearch = store.SearchAllAsync<Slot>(
            SlotSearches.Overlapping(schedules.Select(s => s.Id!), from, to).SortBy([("start", false)]), cancellationToken);
        var appointmentSearch = actors.Count == 0 ? Task.FromResult<IReadOnlyList<Appointment>>([])
            : store.SearchAllAsync<Appointment>(AppointmentSearches.ActiveOverlapping(actors.Select(a => a.ToString()), from, to), cancellationToken);
        await Task.WhenAll(slotSearch, appointmentSearch);
        var slotsBySchedule = (await slotSearch).ToLookup(s => FhirReference.From(s.Schedule)?.Id);
        var appointments = await appointmentSearch;

        var options = new List<AvailabilityOption>();
        foreach (var schedule in schedules)
        {
            if (!BookingChecks.IsActive(schedule) || BookingChecks.WithinHorizon(schedule, new TimeRange(from, to)) is not var (windowFrom, windowTo))
            {
                continue;
            }

            var own = slotsBySchedule[schedule.Id].ToList();
            var seats = new Seats(own, appointments, BookingChecks.Actors(schedule), now);
            options.AddRange(AvailabilityRule.FromSchedule(schedule) is { } rule
                ? FromRule(schedule, rule, seats, windowFrom, windowTo, input.DurationMinutes)
                : FromFreeSlots(schedule, seats, StandingTime.HeldOnlyByExpiredHolds(appointments, now), windowFrom, windowTo, input.DurationMinutes));
        }

        // One option per schedule and span (overlapping duplicate slots offer one time), in OfferedTime's order.
        return [.. options.DistinctBy(o => o.Offered).OrderBy(o => o.Offered)];
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

    /// <summary>
    /// A schedule's slots and busy time as availability reads them: one-seat time by its busy spans; a slot with seats
    /// (<see cref="SlotSeats"/>) that is FREE by the busy spans beside it (<see cref="BusyTime.SpansBeside"/>: whoever
    /// sits on it does not hide it) and its seats left.
    /// </summary>
    private sealed class Seats
    {
        public Seats(List<Slot> own, IReadOnlyList<Appointment> appointments, IReadOnlyList<FhirReference> actors, DateTimeOffset now)
        {
            Own = own;
            Busy = BusyTime.Spans(own, appointments, actors, now);
            Open = own
                .Where(s => SlotSeats.IsShared(s) && s.Status == Slot.SlotStatus.Free && s.Id is not null && TimeRange.Of(s.Start, s.End) is { } time &&
                            !BusyTime.SpansBeside(s, own, appointments, actors, now).Any(b => b.Overlaps(time)))
                .Select(s => (Id: s.Id!, Left: SlotSeats.SeatsLeft(s, appointments, now)))
                .Where(x => x.Left > 0)
                .ToDictionary(x => x.Id, x => x.Left);
            var open = Open.Keys.ToHashSet();
            BusyBesideOpen = open.Count == 0 ? Busy : BusyTime.Spans(own, appointments.Where(a => !SlotSeats.SharesSeats(a, open)), actors, now);
        }

        public List<Slot> Own { get; }

        /// <summary>Every busy span of the schedule's actors and slots.</summary>
        public IReadOnlyList<TimeRange> Busy { get; }

        /// <summary>The FREE slots with seats left that no other busy time overlaps, with their seats left.</summary>
        public Dictionary<string, int> Open { get; }

        /// <summary>The busy spans once whoever sits on the open slots is left out (what a rule offers by, before each option is checked against them).</summary>
        public IReadOnlyList<TimeRange> BusyBesideOpen { get; }
    }

    /// <summary>
    /// The rule's options, with seats: an option over a made rule Slot with seats left is offered exactly as that Slot
    /// (its seats left); every other option must be clear of the time its seats take.
    /// </summary>
    private static IEnumerable<AvailabilityOption> FromRule(
        Schedule schedule, AvailabilityRule rule, Seats seats, DateTimeOffset from, DateTimeOffset to, int? durationMinutes)
    {
        var open = seats.Own.Where(s => s.Id is not null && seats.Open.ContainsKey(s.Id)).Select(s => (Slot: s, Time: TimeRange.Of(s.Start, s.End)!.Value)).ToList();
        var busy = seats.BusyBesideOpen;
        foreach (var (start, end) in rule.Offer(from, to, durationMinutes ?? rule.SlotMinutes, [.. busy.Select(b => (b.Start, b.End))]))
        {
            var span = new TimeRange(start, end);
            var over = open.Where(o => o.Time.Overlaps(span)).ToList();
            if (over.Count == 0)
            {
                yield return new AvailabilityOption(start, end, schedule, [RuleSlots.Id(schedule.Id!, start, end)], AvailabilitySource.Rule, rule.Capacity);
            }
            else if (over.Count == 1 && over[0].Time == span)
            {
                yield return new AvailabilityOption(start, end, schedule, [RuleSlots.Id(schedule.Id!, start, end)], AvailabilitySource.Rule, seats.Open[over[0].Slot.Id!]);
            }
        }
    }

    /// <summary>
    /// Each free slot, or with a duration longer than a slot, each run of contiguous free slots that covers it. The
    /// option is the run's whole span, what booking its slots takes (a 45-minute wish over 30-minute slots is offered
    /// as the hour they make).
    /// </summary>
    private static IEnumerable<AvailabilityOption> FromFreeSlots(
        Schedule schedule, Seats seats, IReadOnlySet<string> deadHeld, DateTimeOffset from, DateTimeOffset to, int? durationMinutes)
    {
        // A free slot that busy time overlaps is not offered (a busy slot of another length, an actor's appointment
        // elsewhere); a slot with seats is offered by the busy time beside its own seats.
        var free = BusyTime.OfferableFree([.. seats.Own.Where(s => !SlotSeats.IsShared(s))], seats.Busy, deadHeld)
            .Concat(seats.Own.Where(s => s.Id is not null && seats.Open.ContainsKey(s.Id)))
            .Where(s => s.Start >= from && s.End <= to)
            .OrderBy(s => s.Start)
            .ToList();
        var needed = durationMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        for (var i = 0; i < free.Count; i++)
        {
            var run = new List<Slot> { free[i] };
            while (needed is { } length && run[^1].End - run[0].Start < length &&
                   i + run.Count < free.Count && free[i + run.Count].Start == run[^1].End)
            {
                run.Add(free[i + run.Count]);
            }

            if (needed is { } wanted && run[^1].End - run[0].Start < wanted)
            {
                continue;
            }

            yield return new AvailabilityOption(run[0].Start!.Value, run[^1].End!.Value, schedule, [.. run.Select(s => s.Id!)], AvailabilitySource.Slot,
                run.Min(s => seats.Open.GetValueOrDefault(s.Id!, 1)));
        }
    }
}

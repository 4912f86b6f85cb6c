using Scheduling.Schema.Common;

namespace Scheduling.Schema.Booking;

/// <summary>
/// An availability option as a booking names it: a time on one schedule, its exact span with the offsets
/// availability gave it. Booking it takes exactly that span: the rule slot for it where the schedule has a rule,
/// else the real slots that cover it end to end (<see cref="SlotReservation.PlanAsync(BookingTime, CancellationToken)"/>).
/// Ordered as availability lists options: by start, then schedule id, then end, so that a position in that order
/// (a cursor) stays where it was when options before it are booked.
/// </summary>
public sealed record OfferedTime(string ScheduleId, DateTimeOffset Start, DateTimeOffset End) : IComparable<OfferedTime>
{
    /// <summary>Between the schedule ids of a multi-part option (several resources at once): no FHIR id contains it.</summary>
    public const char PartSeparator = ',';

    public TimeRange Span => new(Start, End);

    /// <summary>Whether it names several schedules, all for its one span (<see cref="MultiResource.RequiredAvailability"/>).</summary>
    public bool IsMultiPart => ScheduleId.Contains(PartSeparator, StringComparison.Ordinal);

    /// <summary>Each schedule's one-schedule option over the same span (itself when it names one schedule).</summary>
    public IReadOnlyList<OfferedTime> Parts => [.. ScheduleId.Split(PartSeparator).Select(id => this with { ScheduleId = id })];

    /// <summary>The option naming every one of these schedules over one span.</summary>
    public static OfferedTime Of(IEnumerable<string> scheduleIds, DateTimeOffset start, DateTimeOffset end) =>
        new(string.Join(PartSeparator, scheduleIds), start, end);

    public int CompareTo(OfferedTime? other)
    {
        if (other is null)
        {
            return 1;
        }

        var byStart = Start.CompareTo(other.Start);
        if (byStart != 0)
        {
            return byStart;
        }

        var bySchedule = string.CompareOrdinal(ScheduleId, other.ScheduleId);
        return bySchedule != 0 ? bySchedule : End.CompareTo(other.End);
    }

    public static bool operator <(OfferedTime left, OfferedTime right) => Comparer<OfferedTime>.Default.Compare(left, right) < 0;

    public static bool operator >(OfferedTime left, OfferedTime right) => Comparer<OfferedTime>.Default.Compare(left, right) > 0;

    public static bool operator <=(OfferedTime left, OfferedTime right) => Comparer<OfferedTime>.Default.Compare(left, right) <= 0;

    public static bool operator >=(OfferedTime left, OfferedTime right) => Comparer<OfferedTime>.Default.Compare(left, right) >= 0;
}

/// <summary>
/// The time a booking, hold or reschedule takes: exactly one of the ids of contiguous slots of one schedule (real
/// slots, or rule option ids as availability's slotIds give them) or an availability option.
/// </summary>
public sealed record BookingTime(IReadOnlyList<string>? SlotIds, OfferedTime? Option)
{
    /// <summary>
    /// The one time asked: <paramref name="time"/>, or the slot ids given the deprecated way; both or neither is a
    /// typed refusal naming the field.
    /// </summary>
    public static BookingTime Of(IEnumerable<string>? deprecatedSlotIds, BookingTime? time)
    {
        var given = (deprecatedSlotIds is null ? 0 : 1) + (time is null ? 0 : 1);
        if (given != 1 || (time is not null && (time.SlotIds is null) == (time.Option is null)))
        {
            throw new SchedulingException(new ValidationError(
                "Say which time, once: time: { slotIds: [...] } or time: { optionId: ... } (or the deprecated slotIds alone).", "time", "one-of"));
        }

        return time ?? new BookingTime([.. deprecatedSlotIds!], null);
    }
}

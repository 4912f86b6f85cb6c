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
    public TimeRange Span => new(Start, End);

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

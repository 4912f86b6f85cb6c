using Scheduling.Schema.Common;

namespace Scheduling.Schema.Booking.Series;

/// <summary>One occurrence of a series: its place (<see cref="RecurrenceId"/>, from 1), its local day and its time.</summary>
public sealed record SeriesOccurrence(int RecurrenceId, DateOnly Day, DateTimeOffset Start, DateTimeOffset End)
{
    public TimeRange Span => new(Start, End);
}

/// <summary>
/// A weekly recurrence, as FHIR R5's <c>recurrenceTemplate</c> with a <c>weeklyTemplate</c> has it: the first
/// occurrence's local day and wall-clock start, how long each lasts, the days of the week it recurs on, every
/// <see cref="WeekInterval"/> weeks (weeks start on Monday, counted from the first occurrence's week), ending after
/// <see cref="Count"/> occurrences or on <see cref="Until"/> (exactly one). Pure: the occurrences are computed in
/// the schedule's time zone, wall-clock time kept across daylight-saving changes (09:00 stays 09:00 local).
/// <para>
/// A local start that does not exist on a day (the hour a spring-forward skips) is moved forward by the gap (02:30
/// becomes 03:30); one that exists twice (the hour a fall-back repeats) is the earlier of the two. Each occurrence
/// lasts <see cref="Minutes"/> of elapsed time. The zone is the one <see cref="Schedules.AvailabilityRule"/> offers
/// times in (.NET's <see cref="TimeZoneInfo"/>, IANA names), so an occurrence falls on a time the rule offers.
/// </para>
/// </summary>
public sealed record SeriesRecurrence(
    DateOnly FirstDay, TimeOnly StartTime, int Minutes, IReadOnlyList<DayOfWeek> DaysOfWeek, int WeekInterval, int? Count, DateOnly? Until)
{
    /// <summary>The most occurrences one series books (each is a full booking, all written as one change).</summary>
    public const int MaxOccurrences = 52;

    public const int MaxWeekInterval = 52;

    /// <summary>The longest occurrence: one day.</summary>
    public const int MaxMinutes = 24 * 60;

    /// <summary>Days the computation of occurrences may be sure to have in range: 1900 to 9000 leaves the longest series (52 occurrences, 52 weeks apart) and every zone's offset far inside DateTime's range.</summary>
    public static readonly DateOnly EarliestDay = new(1900, 1, 1);

    public static readonly DateOnly LatestDay = new(9000, 12, 31);

    /// <summary>The days it recurs on, Monday first (the first occurrence's weekday when none were given).</summary>
    public IReadOnlyList<DayOfWeek> Days =>
        [.. (DaysOfWeek is { Count: > 0 } ? DaysOfWeek : [FirstDay.DayOfWeek]).Distinct().OrderBy(MondayOffset)];

    /// <summary>What is wrong with the recurrence as asked, naming the input field (null: nothing).</summary>
    public ValidationError? Invalid()
    {
        if (Count is null == Until is null)
        {
            return new ValidationError("Say how the series ends, once: count or until.", "recurrence", "count-or-until");
        }

        if (Count is < 1 or > MaxOccurrences)
        {
            return new ValidationError($"A series has between 1 and {MaxOccurrences} occurrences.", "recurrence.count", "max-occurrences");
        }

        if (Until is { } until && until < FirstDay)
        {
            return new ValidationError("until lies before the first occurrence.", "recurrence.until");
        }

        if (WeekInterval is < 1 or > MaxWeekInterval)
        {
            return new ValidationError($"weekInterval is between 1 and {MaxWeekInterval}.", "recurrence.weekInterval");
        }

        if (Minutes is < 1 or > MaxMinutes)
        {
            return new ValidationError($"An occurrence lasts between one minute and {MaxMinutes / 60} hours.", "minutes");
        }

        if (FirstDay < EarliestDay || FirstDay > LatestDay)
        {
            return new ValidationError($"The first occurrence lies between {EarliestDay:yyyy-MM-dd} and {LatestDay:yyyy-MM-dd}.", "firstDate");
        }

        if (!Days.Contains(FirstDay.DayOfWeek))
        {
            return new ValidationError($"The first occurrence's day, a {FirstDay.DayOfWeek}, is not one of the days the series recurs on.", "recurrence.daysOfWeek", "first-day-recurs");
        }

        return LocalDays().Count > MaxOccurrences
            ? new ValidationError($"A series has at most {MaxOccurrences} occurrences; this one runs to more before its until.", "recurrence.until", "max-occurrences")
            : null;
    }

    /// <summary>The local days of the occurrences, in order (at most one more than <see cref="MaxOccurrences"/>, to tell that it runs past it).</summary>
    public IReadOnlyList<DateOnly> LocalDays()
    {
        var days = new List<DateOnly>();
        var interval = Math.Max(1, WeekInterval);
        var firstWeek = FirstDay.AddDays(-MondayOffset(FirstDay.DayOfWeek));
        var wanted = Count ?? int.MaxValue;
        for (var week = firstWeek; days.Count < wanted && days.Count <= MaxOccurrences && (Until is not { } end || week <= end); week = week.AddDays(7 * interval))
        {
            foreach (var day in Days.Select(d => week.AddDays(MondayOffset(d))))
            {
                if (day < FirstDay)
                {
                    continue;
                }

                if ((Until is { } until && day > until) || days.Count == wanted)
                {
                    break;
                }

                days.Add(day);
            }
        }

        return days;
    }

    /// <summary>The occurrences in <paramref name="zone"/>, <see cref="SeriesOccurrence.RecurrenceId"/> 1, 2, ...</summary>
    public IReadOnlyList<SeriesOccurrence> Occurrences(TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return [.. LocalDays().Take(MaxOccurrences).Select((day, i) =>
        {
            var start = ToInstant(day.ToDateTime(StartTime), zone);
            return new SeriesOccurrence(i + 1, day, start, start.AddMinutes(Minutes));
        })];
    }

    /// <summary>
    /// A wall-clock time in a zone as an instant: a time the zone skips moves forward by the gap (with the offset in
    /// force before it); a time it repeats is the earlier instant (the larger offset).
    /// </summary>
    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            var before = zone.GetUtcOffset(local.AddDays(-1));
            return TimeZoneInfo.ConvertTime(new DateTimeOffset(local, before), zone);
        }

        return zone.IsAmbiguousTime(local)
            ? new DateTimeOffset(local, zone.GetAmbiguousTimeOffsets(local).Max())
            : new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>Days after Monday (Monday 0 ... Sunday 6).</summary>
    private static int MondayOffset(DayOfWeek day) => ((int)day + 6) % 7;
}

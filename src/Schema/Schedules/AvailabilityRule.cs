using System.Globalization;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;

namespace Scheduling.Schema.Schedules;

/// <summary>Recurring availability: on these days, from this time to that, in the schedule's time zone.</summary>
public sealed record AvailableTime(IReadOnlyList<DayOfWeek> DaysOfWeek, TimeOnly StartTime, TimeOnly EndTime);

/// <summary>Time taken out of the recurring availability (holidays, training).</summary>
public sealed record NotAvailableTime(DateTimeOffset Start, DateTimeOffset End, string? Description);

/// <summary>
/// A schedule's recurring availability rule, in the shape of FHIR R5's <c>Availability</c> datatype plus Medplum's
/// scheduling parameters (slot length, buffers, alignment), carried on an R4 Schedule as an extension.
/// Free times are computed from it on request; Slots then exist only for busy or blocked time. <see cref="Capacity"/>:
/// the seats of each offered time (<see cref="Booking.SlotSeats"/>), carried by the Slot a booking makes from it.
/// </summary>
public sealed record AvailabilityRule(
    string TimeZone,
    IReadOnlyList<AvailableTime> AvailableTimes,
    IReadOnlyList<NotAvailableTime> NotAvailableTimes,
    int SlotMinutes,
    int BufferBeforeMinutes,
    int BufferAfterMinutes,
    int AlignmentMinutes,
    int Capacity = 1)
{
    public const string ExtensionUrl = Booking.GatewayProfile.AvailabilityExtension;

    private static readonly string[] DayCodes = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    public TimeZoneInfo Zone => TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    public static AvailabilityRule? FromSchedule(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var root = schedule.GetExtension(ExtensionUrl);
        if (root is null)
        {
            return null;
        }

        int Int(string url, int fallback) => root.GetExtension(url)?.Value is Integer i && i.Value is { } v ? v : fallback;
        var available = root.Extension.Where(e => e.Url == "availableTime").Select(e => new AvailableTime(
            [.. e.Extension.Where(d => d.Url == "daysOfWeek").Select(d => (DayOfWeek)Array.IndexOf(DayCodes, d.Value?.ToString()))
                .Where(d => (int)d >= 0)],
            TimeOnly.Parse(e.GetExtension("availableStartTime")?.Value?.ToString() ?? "00:00", CultureInfo.InvariantCulture),
            TimeOnly.Parse(e.GetExtension("availableEndTime")?.Value?.ToString() ?? "00:00", CultureInfo.InvariantCulture))).ToList();
        var notAvailable = new List<NotAvailableTime>();
        foreach (var entry in root.Extension.Where(e => e.Url == "notAvailableTime"))
        {
            if (entry.GetExtension("during")?.Value is Period { StartElement: { } start, EndElement: { } end })
            {
                notAvailable.Add(new NotAvailableTime(
                    start.ToDateTimeOffset(TimeSpan.Zero), end.ToDateTimeOffset(TimeSpan.Zero), entry.GetExtension("description")?.Value?.ToString()));
            }
        }

        var slotMinutes = Int("slotMinutes", 30);
        return new AvailabilityRule(
            root.GetExtension("timeZone")?.Value?.ToString() ?? "UTC",
            available,
            notAvailable,
            slotMinutes,
            Int("bufferBeforeMinutes", 0),
            Int("bufferAfterMinutes", 0),
            Int("alignmentMinutes", slotMinutes),
            Booking.GatewayProfile.CapacityOf(root));
    }

    public void WriteTo(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        schedule.RemoveExtension(ExtensionUrl);
        var root = new Extension { Url = ExtensionUrl };
        root.Extension.Add(new Extension("timeZone", new Code(TimeZone)));
        root.Extension.Add(new Extension("slotMinutes", new Integer(SlotMinutes)));
        root.Extension.Add(new Extension("bufferBeforeMinutes", new Integer(BufferBeforeMinutes)));
        root.Extension.Add(new Extension("bufferAfterMinutes", new Integer(BufferAfterMinutes)));
        root.Extension.Add(new Extension("alignmentMinutes", new Integer(AlignmentMinutes)));
        if (Capacity > 1)
        {
            root.Extension.Add(new Extension(Booking.GatewayProfile.CapacityExtension, new PositiveInt(Capacity)));
        }

        foreach (var time in AvailableTimes)
        {
            var entry = new Extension { Url = "availableTime" };
            entry.Extension.AddRange(time.DaysOfWeek.Select(d => new Extension("daysOfWeek", new Code(DayCodes[(int)d]))));
            entry.Extension.Add(new Extension("availableStartTime", new Time(time.StartTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture))));
            entry.Extension.Add(new Extension("availableEndTime", new Time(time.EndTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture))));
            root.Extension.Add(entry);
        }

        foreach (var off in NotAvailableTimes)
        {
            var entry = new Extension { Url = "notAvailableTime" };
            if (off.Description is not null)
            {
                entry.Extension.Add(new Extension("description", new FhirString(off.Description)));
            }

            entry.Extension.Add(new Extension("during", new Period(new FhirDateTime(off.Start), new FhirDateTime(off.End))));
            root.Extension.Add(entry);
        }

        schedule.Extension.Add(root);
    }

    /// <summary>
    /// A span with the rule's buffers before and after it: the one buffer predicate. A time is
    /// <see cref="Unoffered.Buffer"/> when busy time overlaps this and not the time itself; availability and explain
    /// (<see cref="Explain"/>) and booking (<see cref="BookingChecks.CheckAsync"/>, busy time over it) decide by it.
    /// </summary>
    public TimeRange Buffered(TimeRange span) =>
        new(span.Start - TimeSpan.FromMinutes(BufferBeforeMinutes), span.End + TimeSpan.FromMinutes(BufferAfterMinutes));

    /// <summary>
    /// The times this rule offers in [<paramref name="from"/>, <paramref name="to"/>), <paramref name="minutes"/> long:
    /// the candidates of <see cref="Explain"/> with no reason against them (one computation, not a second filter).
    /// </summary>
    public IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Offer(DateTimeOffset from, DateTimeOffset to, int minutes, IReadOnlyList<BusySpan> busy) =>
        Explain(from, to, minutes, busy, everyCandidate: false).Where(c => c.Reasons == Unoffered.None).Select(c => (c.Start, c.End));

    /// <summary>
    /// The candidate times in [<paramref name="from"/>, <paramref name="to"/>), <paramref name="minutes"/> long, each
    /// with every reason the rule does not offer it (<see cref="Unoffered.OutsideHours"/>, <see cref="Unoffered.Blocked"/>
    /// for its not-available time, what takes the busy time it overlaps, <see cref="Unoffered.Buffer"/> when only its
    /// buffers do): the times of each available window on its grid (from the window's start, by the alignment) and,
    /// with <paramref name="everyCandidate"/> (explaining), also the times of the day's grid (from midnight) that no
    /// window holds, all <see cref="Unoffered.OutsideHours"/>; without it those are not walked (availability would
    /// drop them). Only the days of the span are walked. Wall-clock times are turned into instants day by day, so a
    /// daylight-saving change moves no time; the hour a spring-forward skips has none.
    /// </summary>
    public IEnumerable<RuleCandidate> Explain(DateTimeOffset from, DateTimeOffset to, int minutes, IReadOnlyList<BusySpan> busy, bool everyCandidate = true)
    {
        ArgumentNullException.ThrowIfNull(busy);
        var zone = Zone;
        var step = TimeSpan.FromMinutes(Math.Max(1, AlignmentMinutes));
        var length = TimeSpan.FromMinutes(minutes);
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(-1);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, zone).DateTime);
        var grid = new Grid(zone, length, from, to, busy, NotAvailableTimes, Buffered);
        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            var windows = AvailableTimes.Where(t => t.DaysOfWeek.Contains(day.DayOfWeek))
                .Select(t => (Start: t.StartTime.ToTimeSpan(), End: t.EndTime == TimeOnly.MinValue ? TimeSpan.FromDays(1) : t.EndTime.ToTimeSpan()))
                .OrderBy(t => t.Start)
                .ToList();
            foreach (var window in windows)
            {
                for (var wall = window.Start; wall + length <= window.End; wall += step)
                {
                    if (grid.Candidate(day, wall, Unoffered.None) is { } candidate)
                    {
                        yield return candidate;
                    }
                }
            }

            for (var wall = TimeSpan.Zero; everyCandidate && wall + length <= TimeSpan.FromDays(1); wall += step)
            {
                var at = wall;
                if (!windows.Any(w => w.Start <= at && at + length <= w.End) && grid.Candidate(day, wall, Unoffered.OutsideHours) is { } candidate)
                {
                    yield return candidate;
                }
            }
        }
    }

    /// <summary>One walk's fixed inputs, and the reasons of one candidate of it.</summary>
    private sealed class Grid(
        TimeZoneInfo zone, TimeSpan length, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<BusySpan> busy, IReadOnlyList<NotAvailableTime> off, Func<TimeRange, TimeRange> buffered)
    {
        public RuleCandidate? Candidate(DateOnly day, TimeSpan wall, Unoffered reasons)
        {
            var local = day.ToDateTime(TimeOnly.MinValue).Add(wall);
            if (zone.IsInvalidTime(local))
            {
                return null; // the hour that a spring-forward skips does not exist
            }

            var start = new DateTimeOffset(local, zone.GetUtcOffset(local));
            var end = start + length;
            if (start < from || end > to)
            {
                return null;
            }

            foreach (var n in off)
            {
                if (n.Start < end && start < n.End)
                {
                    reasons |= Unoffered.Blocked;
                }
            }

            var (time, overlapped, inBuffer) = (new TimeRange(start, end), false, false);
            var reach = buffered(time);
            foreach (var b in busy)
            {
                if (b.Time.Overlaps(time))
                {
                    (overlapped, reasons) = (true, reasons | b.Reason);
                }
                else if (b.Time.Overlaps(reach))
                {
                    inBuffer = true;
                }
            }

            // Buffer only when no busy time overlaps the time itself.
            return new RuleCandidate(start, end, inBuffer && !overlapped ? reasons | Unoffered.Buffer : reasons);
        }
    }
}

/// <summary>A candidate time of a rule and every reason it is not offered (<see cref="AvailabilityRule.Explain"/>); offered when there is none.</summary>
public readonly record struct RuleCandidate(DateTimeOffset Start, DateTimeOffset End, Unoffered Reasons);

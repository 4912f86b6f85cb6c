using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// A schedule's own cutoffs and caps (<see cref="GatewayProfile.BookingLimitsExtension"/>), each null where the
/// schedule sets none (the global <see cref="BookingOptions"/> value applies: <see cref="BookingLimits.Of"/>).
/// </summary>
public sealed record ScheduleLimits(int? CancelNoticeMinutes, int? RescheduleNoticeMinutes, int? MaxPerDay, int? MaxPerWeek)
{
    /// <summary>
    /// The longest notice (cancel or reschedule) in force anywhere: the bound of the global settings and of
    /// setBookingLimits, and what a longer one written on a schedule by another FHIR client counts as. So an appointment
    /// starting later than this from now is beyond every notice, whatever its schedule says.
    /// </summary>
    public const int MaxNoticeMinutes = 60 * 24 * 30;

    public static ScheduleLimits Of(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var root = schedule.GetExtension(GatewayProfile.BookingLimitsExtension);
        int? Int(string url) => root?.GetExtension(url)?.Value is Integer { Value: { } v } ? v : null;
        int? Notice(string url) => Int(url) is { } minutes ? Math.Min(minutes, MaxNoticeMinutes) : null;
        return new ScheduleLimits(Notice("cancelNoticeMinutes"), Notice("rescheduleNoticeMinutes"), Int("maxPerDay"), Int("maxPerWeek"));
    }

    /// <summary>Writes these limits on the schedule (a null one is left out: the global setting applies).</summary>
    public void WriteTo(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        schedule.RemoveExtension(GatewayProfile.BookingLimitsExtension);
        var root = new Extension { Url = GatewayProfile.BookingLimitsExtension };
        foreach (var (url, value) in new[] { ("cancelNoticeMinutes", CancelNoticeMinutes), ("rescheduleNoticeMinutes", RescheduleNoticeMinutes), ("maxPerDay", MaxPerDay), ("maxPerWeek", MaxPerWeek) })
        {
            if (value is { } v)
            {
                root.Extension.Add(new Extension(url, new Integer(v)));
            }
        }

        if (root.Extension.Count > 0)
        {
            schedule.Extension.Add(root);
        }
    }
}

/// <summary>The cutoffs and caps in force on one schedule: its own where it sets them, else the global settings; 0 = none.</summary>
public sealed record BookingLimits(int CancelNoticeMinutes, int RescheduleNoticeMinutes, int MaxPerDay, int MaxPerWeek)
{
    public static BookingLimits Of(Schedule? schedule, BookingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var own = schedule is null ? new ScheduleLimits(null, null, null, null) : ScheduleLimits.Of(schedule);
        return new BookingLimits(
            own.CancelNoticeMinutes ?? options.MinimumCancelNoticeMinutes,
            own.RescheduleNoticeMinutes ?? options.MinimumRescheduleNoticeMinutes,
            own.MaxPerDay ?? options.MaxBookingsPerPractitionerPerDay,
            own.MaxPerWeek ?? options.MaxBookingsPerPractitionerPerWeek);
    }
}

/// <summary>
/// The caps, decided in one place for booking (the rules) and for availability's explanation: which appointments
/// count (booked, held and standing, arrived, checked in, fulfilled; an expired hold counts nothing), a practitioner's
/// day and week (in the capped schedule's time zone, weeks from Monday), a patient's rolling period, and the guard keys that
/// serialize two capped bookings of one practitioner racing for the last allowed booking of a day or a week (per
/// practitioner and UTC date, whatever schedule, zone or cap: <see cref="GuardKeys"/>).
/// </summary>
public static class BookingCaps
{
    public const string DayCapRule = "practitioner-day-cap";

    public const string WeekCapRule = "practitioner-week-cap";

    public const string PatientCapRule = "patient-period-cap";

    public const string CancelNoticeRule = "minimum-cancel-notice";

    public const string RescheduleNoticeRule = "minimum-reschedule-notice";

    /// <summary>The statuses a cap counts (an appointment kept, being kept or held); proposed and waitlisted ones are not bookings yet.</summary>
    public static readonly AppointmentStatus[] CountedStatuses =
        [AppointmentStatus.Booked, AppointmentStatus.Pending, AppointmentStatus.Arrived, AppointmentStatus.CheckedIn, AppointmentStatus.Fulfilled];

    /// <summary>
    /// Whether an appointment counts against a cap at <paramref name="now"/>: one that takes time (<see cref="StandingTime.Stands(Appointment, DateTimeOffset)"/>,
    /// the one rule) and is a booking already (not proposed), or one already kept (fulfilled, not a series template).
    /// </summary>
    public static bool Counts(Appointment appointment, DateTimeOffset now) =>
        appointment?.Status == AppointmentStatus.Fulfilled
            ? !GatewayProfile.IsSeriesTemplate(appointment)
            : appointment?.Status is { } status && CountedStatuses.Contains(status) && StandingTime.Stands(appointment, now);

    /// <summary>The schedule's time zone (its timezone extension or its rule's), UTC when it names none or an unknown one.</summary>
    public static TimeZoneInfo ZoneOf(Schedule schedule) =>
        GatewayProfile.TimeZoneOf(schedule) is { } name && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>The local day an instant falls on, as instants.</summary>
    public static TimeRange DayOf(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        return new TimeRange(LocalMidnight(day, zone), LocalMidnight(day.AddDays(1), zone));
    }

    /// <summary>The local week (Monday to Monday) an instant falls in, as instants.</summary>
    public static TimeRange WeekOf(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
        return new TimeRange(LocalMidnight(monday, zone), LocalMidnight(monday.AddDays(7), zone));
    }

    /// <summary>The actors a practitioner cap is about: the schedule's practitioners (and practitioner roles).</summary>
    public static IReadOnlyList<FhirReference> CappedActors(Schedule schedule) =>
        [.. BookingChecks.Actors(schedule).Where(a => a.ResourceType is "Practitioner" or "PractitionerRole")];

    /// <summary>
    /// The practitioner caps a booking starting at <paramref name="start"/> on <paramref name="schedule"/> would break:
    /// for each capped actor, the appointments counted (<see cref="Counts"/>, <paramref name="moving"/> left out) that
    /// start on its day or in its week, with <paramref name="alsoOpening"/> (the starts of the other appointments the same
    /// change opens on this schedule), plus this one, over the limit. <paramref name="counted"/> must cover the week.
    /// </summary>
    public static IReadOnlyList<BookingRuleError> PractitionerCapsBroken(
        BookingLimits limits, Schedule schedule, DateTimeOffset start, IEnumerable<Appointment> counted, IEnumerable<DateTimeOffset> alsoOpening, string? moving, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var zone = ZoneOf(schedule);
        var day = DayOf(start, zone);
        var week = WeekOf(start, zone);
        var actors = CappedActors(schedule);
        var standing = (counted ?? []).Where(a => a.Id != moving && Counts(a, now) && a.Start is not null).DistinctBy(a => a.Id).ToList();
        var opening = (alsoOpening ?? []).ToList();
        // The change's other openings are on this schedule, so they count for each of its capped actors.
        int Most(TimeRange range) => actors.Count == 0 ? 0 : actors.Max(actor => standing.Count(a =>
            a.Start!.Value >= range.Start && a.Start.Value < range.End && a.Participant.Any(p => FhirReference.From(p.Actor) == actor)))
            + opening.Count(t => t >= range.Start && t < range.End);

        var broken = new List<BookingRuleError>();
        if (limits.MaxPerDay > 0 && Most(day) >= limits.MaxPerDay)
        {
            broken.Add(new BookingRuleError($"The practitioner takes at most {limits.MaxPerDay} bookings a day.", DayCapRule, limits.MaxPerDay));
        }

        if (limits.MaxPerWeek > 0 && Most(week) >= limits.MaxPerWeek)
        {
            broken.Add(new BookingRuleError($"The practitioner takes at most {limits.MaxPerWeek} bookings a week.", WeekCapRule, limits.MaxPerWeek));
        }

        return broken;
    }

    /// <summary>What a practitioner cap must read to judge a booking starting at <paramref name="start"/>: the local week (which holds the day).</summary>
    public static TimeRange CountedSpan(Schedule schedule, DateTimeOffset start) => WeekOf(start, ZoneOf(schedule));

    /// <summary>
    /// Whether one more booking starting at <paramref name="start"/> would give a patient more than <paramref name="max"/>
    /// bookings within some <paramref name="days"/>-day window: every window of that length holding <paramref name="start"/>
    /// is counted (<paramref name="others"/>: the starts of the patient's counted appointments, this one left out).
    /// </summary>
    public static bool PatientCapBroken(int max, int days, DateTimeOffset start, IEnumerable<DateTimeOffset> others)
    {
        if (max <= 0)
        {
            return false;
        }

        var period = TimeSpan.FromDays(days);
        var near = (others ?? []).Where(t => t > start - period && t < start + period).Order().ToList();
        // A window [w, w + period) holding start: the most others it can hold is reached with w at one of their starts (or just after start - period).
        var candidates = near.Where(t => t <= start).Append(start - period + TimeSpan.FromTicks(1));
        return candidates.Any(w => near.Count(t => t >= w && t < w + period) + 1 > max);
    }

    /// <summary>The window a patient cap reads around a start.</summary>
    public static TimeRange PatientSpan(DateTimeOffset start, int days) => new(start - TimeSpan.FromDays(days), start + TimeSpan.FromDays(days));

    /// <summary>
    /// The guards a capped booking claims besides its span's (<see cref="SpanGuards"/>): one per capped actor and UTC
    /// date that its caps' windows touch (its local day where a day cap is set, its local week where a week cap is).
    /// The keys name the practitioner and a UTC date, never the schedule, its time zone or which cap is set, so any two
    /// capped bookings of one practitioner where either counts the other meet on a guard: a booking's own start lies
    /// inside each of its windows, so its start's UTC date is among its keys, and the judge whose window holds that
    /// start claims every UTC date of the window. A capped schedule in Auckland and one in Honolulu, or a day cap on
    /// one schedule and a week cap on another, serialize as two bookings on one schedule do. A booking on a schedule
    /// without caps claims none (it judges no cap, and a judge that missed it is explained by ordering it first).
    /// </summary>
    public static IReadOnlyList<string> GuardKeys(BookingLimits limits, Schedule schedule, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var zone = ZoneOf(schedule);
        TimeRange[] windows = [.. limits.MaxPerDay > 0 ? [DayOf(start, zone)] : Array.Empty<TimeRange>(), .. limits.MaxPerWeek > 0 ? [WeekOf(start, zone)] : Array.Empty<TimeRange>()];
        var dates = windows.SelectMany(UtcDates).Distinct().ToList();
        return [.. CappedActors(schedule).SelectMany(actor => dates.Select(date => GuardKey(actor, date)))];
    }

    /// <summary>The key of a practitioner's (or role's) cap guard for one UTC date.</summary>
    public static string GuardKey(FhirReference actor, DateOnly utcDate) =>
        actor + ":caps:" + utcDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The UTC dates a range of instants touches (its end excluded).</summary>
    public static IEnumerable<DateOnly> UtcDates(TimeRange range)
    {
        var last = DateOnly.FromDateTime(range.End.UtcDateTime.AddTicks(-1));
        for (var date = DateOnly.FromDateTime(range.Start.UtcDateTime); date <= last; date = date.AddDays(1))
        {
            yield return date;
        }
    }

    /// <summary>
    /// The notice refusal of a change to an appointment starting at <paramref name="start"/>, <paramref name="minutes"/>
    /// of notice required: null when enough is left (or none is required).
    /// </summary>
    public static BookingRuleError? NoticeBroken(string rule, int minutes, DateTimeOffset? start, DateTimeOffset now, string what) =>
        minutes > 0 && start is { } at && at - now < TimeSpan.FromMinutes(minutes)
            ? new BookingRuleError($"Appointments can be {what} at most until {minutes} minutes before they start.", rule, minutes)
            : null;

    private static DateTimeOffset LocalMidnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

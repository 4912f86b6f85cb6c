using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.Series;

namespace Scheduling.Tests.Booking;

/// <summary>
/// SeriesRecurrence, the pure weekly recurrence of a series: its days against a day-by-day reference, its wall-clock
/// time kept in the zone across daylight-saving changes, and the documented rule for local times a zone skips or
/// repeats. Zones with changes in both hemispheres, one at half past midnight (Santiago) and one without any.
/// </summary>
public sealed class SeriesRecurrenceTests
{
    private static readonly string[] Zones = ["America/New_York", "Europe/Paris", "Australia/Sydney", "America/Santiago", "Asia/Tokyo", "UTC"];

    private static readonly Gen<SeriesRecurrence> Recurrences =
        Gen.Select(
            Gen.Int[0, 800].Select(d => new DateOnly(2026, 1, 1).AddDays(d)),
            Gen.Int[0, 24 * 4 - 1].Select(q => new TimeOnly(q / 4, q % 4 * 15)),
            Gen.Int[1, 180],
            Gen.Enum<DayOfWeek>().Array[0, 4],
            Gen.Int[1, 4],
            Gen.Bool,
            Gen.Int[1, SeriesRecurrence.MaxOccurrences],
            Gen.Int[0, 200])
        .Select((first, start, minutes, days, interval, byCount, count, untilDays) =>
            new SeriesRecurrence(first, start, minutes, [.. days.Append(first.DayOfWeek)], interval, byCount ? count : null, byCount ? null : first.AddDays(untilDays)));

    /// <summary>
    /// The occurrences' days are exactly those a day-by-day walk finds: on one of its days, in a week counted every
    /// weekInterval from the first day's (Monday) week, from the first day on, up to count or until; numbered 1, 2, ...
    /// </summary>
    [Fact]
    public void Its_days_are_those_a_day_by_day_walk_finds()
    {
        Recurrences.Where(r => r.Invalid() is null).Sample(recurrence =>
        {
            var expected = new List<DateOnly>();
            var firstMonday = recurrence.FirstDay.AddDays(-(((int)recurrence.FirstDay.DayOfWeek + 6) % 7));
            for (var day = recurrence.FirstDay; expected.Count < (recurrence.Count ?? int.MaxValue) && day <= (recurrence.Until ?? DateOnly.MaxValue); day = day.AddDays(1))
            {
                if (recurrence.Days.Contains(day.DayOfWeek) && (day.DayNumber - firstMonday.DayNumber) / 7 % recurrence.WeekInterval == 0)
                {
                    expected.Add(day);
                }
            }

            var occurrences = recurrence.Occurrences(TimeZoneInfo.Utc);
            Assert.Equal(expected, occurrences.Select(o => o.Day));
            Assert.Equal(Enumerable.Range(1, expected.Count), occurrences.Select(o => o.RecurrenceId));
            Assert.Equal(recurrence.FirstDay, occurrences[0].Day);
        });
    }

    /// <summary>
    /// In any zone, every occurrence starts at the series' wall-clock time on its day, unless the zone skips that
    /// time that day: then it starts the gap's length later (02:30 becomes 03:30). A time the zone repeats is the
    /// earlier instant. Each lasts its minutes of elapsed time.
    /// </summary>
    [Fact]
    public void Every_occurrence_keeps_its_wall_clock_time_in_the_zone_across_daylight_saving_changes()
    {
        // Half the series start on a day the zone changes its offset, in the night hours where the change happens.
        var onChanges = Gen.Int[0, Zones.Length - 1].SelectMany(z => Gen.Select(
            ChangeDays(Zones[z]) is { Count: > 0 } days ? Gen.Int[0, days.Count - 1].Select(i => days[i]) : Gen.Const(new DateOnly(2027, 3, 14)),
            Gen.Int[0, 4 * 4 - 1].Select(q => new TimeOnly(q / 4, q % 4 * 15)), Gen.Int[1, 20], Gen.Int[1, 2])
            .Select((day, time, count, interval) => (new SeriesRecurrence(day, time, 60, [day.DayOfWeek], interval, count, null), z)));
        Gen.Frequency((1, Gen.Select(Recurrences.Where(r => r.Invalid() is null), Gen.Int[0, Zones.Length - 1])), (1, onChanges)).Sample((recurrence, z) =>
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(Zones[z]);
            foreach (var occurrence in recurrence.Occurrences(zone))
            {
                var local = occurrence.Day.ToDateTime(recurrence.StartTime);
                var wall = TimeZoneInfo.ConvertTime(occurrence.Start, zone);
                Assert.Equal(zone.GetUtcOffset(occurrence.Start), occurrence.Start.Offset);
                if (zone.IsInvalidTime(local))
                {
                    var gap = zone.GetUtcOffset(local.AddDays(1)) - zone.GetUtcOffset(local.AddDays(-1));
                    Assert.Equal(local + gap, wall.DateTime);
                }
                else
                {
                    Assert.Equal(local, wall.DateTime);
                    if (zone.IsAmbiguousTime(local))
                    {
                        Assert.Equal(zone.GetAmbiguousTimeOffsets(local).Max(), occurrence.Start.Offset);
                    }
                }

                Assert.Equal(TimeSpan.FromMinutes(recurrence.Minutes), occurrence.End - occurrence.Start);
            }
        });
    }

    /// <summary>The local days of 2026 to 2028 on which the zone's offset changes.</summary>
    private static List<DateOnly> ChangeDays(string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var days = new List<DateOnly>();
        for (var day = new DateOnly(2026, 1, 1); day < new DateOnly(2029, 1, 1); day = day.AddDays(1))
        {
            if (zone.GetUtcOffset(day.ToDateTime(TimeOnly.MinValue).AddHours(-12)) != zone.GetUtcOffset(day.ToDateTime(TimeOnly.MinValue).AddHours(12)))
            {
                days.Add(day);
            }
        }

        return days;
    }

    [Theory]
    // New York springs forward on 14 March 2027 at 02:00 (to 03:00) and falls back on 7 November 2027 at 02:00 (to 01:00).
    [InlineData("2027-03-14", "02:30", "2027-03-14T03:30:00-04:00")]
    [InlineData("2027-11-07", "01:30", "2027-11-07T01:30:00-04:00")]
    [InlineData("2027-03-09", "09:00", "2027-03-09T09:00:00-05:00")]
    [InlineData("2027-03-16", "09:00", "2027-03-16T09:00:00-04:00")]
    public void A_skipped_local_time_moves_forward_by_the_gap_and_a_repeated_one_is_the_earlier(string day, string time, string expected)
    {
        var start = SeriesRecurrence.ToInstant(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture).ToDateTime(TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture)),
            TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), start);
        Assert.Equal(expected, Scheduling.Testing.GraphQLMutations.Iso(start));
    }

    [Theory]
    [InlineData(null, null, "count-or-until")]
    [InlineData(3, "2027-04-01", "count-or-until")]
    [InlineData(0, null, "max-occurrences")]
    [InlineData(53, null, "max-occurrences")]
    [InlineData(null, "2028-06-01", "max-occurrences")]
    public void A_recurrence_that_does_not_end_once_or_runs_too_long_is_refused_naming_the_rule(int? count, string? until, string rule)
    {
        var recurrence = new SeriesRecurrence(new DateOnly(2027, 3, 2), new TimeOnly(9, 0), 30, [DayOfWeek.Tuesday], 1, count,
            until is null ? null : DateOnly.Parse(until, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(rule, recurrence.Invalid()?.Rule);
    }

    [Fact]
    public void A_first_day_off_the_pattern_is_refused()
    {
        var recurrence = new SeriesRecurrence(new DateOnly(2027, 3, 2), new TimeOnly(9, 0), 30, [DayOfWeek.Thursday], 1, 3, null);
        Assert.Equal(("recurrence.daysOfWeek", "first-day-recurs"), (recurrence.Invalid()?.Field, recurrence.Invalid()?.Rule));
    }

    /// <summary>
    /// The one "is a series template" decides for every reader: a template, PROPOSED and without time, takes no one's
    /// time (StandingTime, which busy time, availability and the limit's hold correction go by) and is no occurrence.
    /// </summary>
    [Fact]
    public void A_template_takes_no_time_and_is_no_occurrence()
    {
        var recurrence = new SeriesRecurrence(new DateOnly(2027, 3, 2), new TimeOnly(9, 0), 30, [DayOfWeek.Tuesday], 1, 3, null);
        var first = new Appointment { Status = Appointment.AppointmentStatus.Booked, Participant = [new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/1") }] };
        SeriesProfile.MarkOccurrence(first, "s1", 1);
        var template = SeriesProfile.Template("s1", recurrence, "America/New_York", first);

        Assert.True(GatewayProfile.IsSeriesTemplate(template));
        Assert.False(StandingTime.Stands(template, DateTimeOffset.UtcNow));
        Assert.False(SeriesProfile.IsOccurrence(template));
        Assert.True(SeriesProfile.IsOccurrence(first));
        Assert.True(StandingTime.Stands(first, DateTimeOffset.UtcNow));
        var pattern = SeriesProfile.PatternOf(template)!;
        Assert.Equal(("s1", "America/New_York", 1, 3, (DateOnly?)null, (TimeOnly?)new TimeOnly(9, 0), (int?)30),
            (pattern.SeriesId, pattern.TimeZone, pattern.WeekInterval, pattern.OccurrenceCount, pattern.LastOccurrenceDate, pattern.StartTime, pattern.Minutes));
        Assert.Equal([DayOfWeek.Tuesday], pattern.DaysOfWeek);
    }

    /// <summary>
    /// No input, however extreme (any day DateOnly has, any int for minutes, count and weekInterval, any until), makes
    /// the recurrence throw: it is refused by <see cref="SeriesRecurrence.Invalid"/> (a ValidationError naming the
    /// field), or its occurrences are computed in every zone.
    /// </summary>
    [Fact]
    public void No_input_gives_anything_but_a_validation_error_or_occurrences()
    {
        var day = Gen.Frequency(
            (1, Gen.Int[DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber].Select(DateOnly.FromDayNumber)),
            (1, Gen.Int[0, 400].Select(d => DateOnly.MaxValue.AddDays(-d))),
            (1, Gen.Int[0, 400].Select(d => DateOnly.MinValue.AddDays(d))),
            (1, Gen.Int[-2000, 2000].Select(d => SeriesRecurrence.LatestDay.AddDays(d))));
        var number = Gen.Frequency((6, Gen.Int[-1, 60]), (1, Gen.Int), (1, Gen.OneOf(Gen.Const(int.MaxValue), Gen.Const(int.MinValue), Gen.Const(SeriesRecurrence.MaxMinutes + 1))));
        var untilAfter = Gen.OneOf(Gen.Int, Gen.Int[-7, 400]);
        Gen.Select(day, Gen.Int[0, 24 * 60 - 1].Select(m => new TimeOnly(m / 60, m % 60)), number, Gen.Enum<DayOfWeek>().Array[0, 7], number, Gen.Bool, number, untilAfter)
            .Select((first, start, minutes, days, interval, byCount, count, after) =>
                new SeriesRecurrence(first, start, minutes, days, interval, byCount ? count : null,
                    byCount ? null : DateOnly.FromDayNumber((int)Math.Clamp((long)first.DayNumber + after, DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber))))
            .Sample(recurrence =>
            {
                if (recurrence.Invalid() is null)
                {
                    foreach (var zone in Zones)
                    {
                        Assert.NotEmpty(recurrence.Occurrences(TimeZoneInfo.FindSystemTimeZoneById(zone)));
                    }
                }
            }, iter: 20_000);
    }
}

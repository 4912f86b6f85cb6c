using CsCheck;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Schedules;

namespace Scheduling.Tests.Booking;

/// <summary>
/// A rule's candidates and every reason against each (<see cref="AvailabilityRule.Explain"/>), and that what it offers
/// (<see cref="AvailabilityRule.Offer"/>) is exactly the candidates with no reason: pure, no peer.
/// </summary>
public sealed class AvailabilityExplainTests
{
    private static readonly DateTimeOffset Monday = new(2030, 3, 4, 0, 0, 0, TimeSpan.Zero);

    private static AvailabilityRule Rule(int bufferBefore = 0, int bufferAfter = 0, params NotAvailableTime[] off) =>
        new("UTC", [new AvailableTime([DayOfWeek.Monday], new TimeOnly(9, 0), new TimeOnly(12, 0))], off, 30, bufferBefore, bufferAfter, 30);

    private static List<BusySpan> Spans(IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> busy) =>
        [.. busy.Select(b => new BusySpan(new TimeRange(b.Start, b.End), Unoffered.Booked, null))];

    private static RuleCandidate At(IEnumerable<RuleCandidate> candidates, int hour, int minute) =>
        Assert.Single(candidates, c => c.Start == Monday.AddHours(hour).AddMinutes(minute));

    [Fact]
    public void Each_reason_is_named_on_the_candidate_it_applies_to_and_a_candidate_carries_every_reason()
    {
        var lunch = new NotAvailableTime(Monday.AddHours(11), Monday.AddHours(13), "staff meeting");
        var rule = Rule(0, 15, lunch);
        var booked = (Monday.AddHours(10), Monday.AddHours(10).AddMinutes(30));
        var lateBooked = (Monday.AddHours(12), Monday.AddHours(12).AddMinutes(30));

        var candidates = rule.Explain(Monday, Monday.AddDays(1), 30, Spans([booked, lateBooked])).ToList();

        Assert.Equal(Unoffered.None, At(candidates, 9, 0).Reasons);
        Assert.Equal(Unoffered.Buffer, At(candidates, 9, 30).Reasons); // its 15 minutes after reach 10:00
        Assert.Equal(Unoffered.Booked, At(candidates, 10, 0).Reasons);
        Assert.Equal(Unoffered.None, At(candidates, 10, 30).Reasons);
        Assert.Equal(Unoffered.Blocked, At(candidates, 11, 0).Reasons);
        Assert.Equal(Unoffered.OutsideHours, At(candidates, 8, 30).Reasons);
        Assert.Equal(Unoffered.OutsideHours | Unoffered.Blocked | Unoffered.Booked, At(candidates, 12, 0).Reasons);
        Assert.Equal(Unoffered.Blocked | Unoffered.Buffer, At(candidates, 11, 30).Reasons);
        Assert.Equal(48, candidates.Count); // every half hour of the day, once
        Assert.Equal([Monday.AddHours(9), Monday.AddHours(10).AddMinutes(30)], rule.Offer(Monday, Monday.AddDays(1), 30, Spans([booked, lateBooked])).Select(o => o.Start));
    }

    private static readonly Gen<(AvailabilityRule Rule, int Minutes, List<(DateTimeOffset Start, DateTimeOffset End)> Busy)> Cases =
        from startHour in Gen.Int[0, 20]
        from hours in Gen.Int[1, 3]
        from slot in Gen.Int[0, 4].Select(i => new[] { 15, 20, 30, 45, 60 }[i])
        from align in Gen.Int[0, 2].Select(i => new[] { 5, 15, 30 }[i])
        from before in Gen.Int[0, 20]
        from after in Gen.Int[0, 20]
        from zone in Gen.Int[0, 2].Select(i => new[] { "UTC", "Europe/Berlin", "America/New_York" }[i])
        from off in Gen.Select(Gen.Int[0, 7 * 24 * 4], Gen.Int[1, 16]).Array[0, 3]
        from busy in Gen.Select(Gen.Int[0, 7 * 24 * 4], Gen.Int[1, 12]).Array[0, 8]
        select (
            new AvailabilityRule(zone,
                [new AvailableTime([DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Sunday], new TimeOnly(startHour, 0), new TimeOnly(startHour + hours, 0))],
                [.. off.Select(o => new NotAvailableTime(Monday.AddMinutes(o.Item1 * 15), Monday.AddMinutes((o.Item1 + o.Item2) * 15), null))],
                slot, before, after, align),
            slot,
            busy.Select(b => (Monday.AddMinutes(b.Item1 * 15), Monday.AddMinutes((b.Item1 + b.Item2) * 15))).ToList());

    [Fact]
    public void What_a_rule_offers_is_exactly_its_candidates_with_no_reason_and_each_reason_holds_of_its_candidate()
    {
        Cases.Sample(c =>
        {
            var (rule, minutes, busy) = c;
            var from = Monday.AddHours(5);
            var to = Monday.AddDays(6);
            var candidates = rule.Explain(from, to, minutes, Spans(busy)).ToList();
            var offered = rule.Offer(from, to, minutes, Spans(busy)).ToList();

            Assert.Equal(candidates.Where(x => x.Reasons == Unoffered.None).Select(x => (x.Start, x.End)), offered);
            Assert.Equal(Reference(rule, from, to, minutes, busy), offered);
            foreach (var candidate in candidates)
            {
                var overlapsBusy = busy.Any(b => b.Start < candidate.End && candidate.Start < b.End);
                var inBuffer = busy.Any(b => b.Start < candidate.End.AddMinutes(rule.BufferAfterMinutes) && candidate.Start.AddMinutes(-rule.BufferBeforeMinutes) < b.End);
                Assert.Equal(overlapsBusy, candidate.Reasons.HasFlag(Unoffered.Booked));
                Assert.Equal(inBuffer && !overlapsBusy, candidate.Reasons.HasFlag(Unoffered.Buffer));
                Assert.Equal(rule.NotAvailableTimes.Any(n => n.Start < candidate.End && candidate.Start < n.End), candidate.Reasons.HasFlag(Unoffered.Blocked));
                Assert.True(candidate.Start >= from && candidate.End <= to);
            }

            Assert.Equal(candidates.Count, candidates.DistinctBy(x => x.Start).Count());
        }, iter: 300);
    }

    /// <summary>The rule's offer as it was computed before explain (one filter over each window's grid): what explain must keep offering.</summary>
    private static List<(DateTimeOffset Start, DateTimeOffset End)> Reference(
        AvailabilityRule rule, DateTimeOffset from, DateTimeOffset to, int minutes, List<(DateTimeOffset Start, DateTimeOffset End)> busy)
    {
        var result = new List<(DateTimeOffset, DateTimeOffset)>();
        var zone = rule.Zone;
        var step = TimeSpan.FromMinutes(Math.Max(1, rule.AlignmentMinutes));
        var length = TimeSpan.FromMinutes(minutes);
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(-1);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, zone).DateTime);
        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            foreach (var window in rule.AvailableTimes.Where(t => t.DaysOfWeek.Contains(day.DayOfWeek)).OrderBy(t => t.StartTime))
            {
                var windowEnd = window.EndTime == TimeOnly.MinValue ? TimeSpan.FromDays(1) : window.EndTime.ToTimeSpan();
                for (var wall = window.StartTime.ToTimeSpan(); wall + length <= windowEnd; wall += step)
                {
                    var local = day.ToDateTime(TimeOnly.MinValue).Add(wall);
                    if (zone.IsInvalidTime(local))
                    {
                        continue;
                    }

                    var start = new DateTimeOffset(local, zone.GetUtcOffset(local));
                    var end = start + length;
                    if (start < from || end > to || rule.NotAvailableTimes.Any(n => n.Start < end && start < n.End) ||
                        busy.Any(b => b.Start < end.AddMinutes(rule.BufferAfterMinutes) && start.AddMinutes(-rule.BufferBeforeMinutes) < b.End))
                    {
                        continue;
                    }

                    result.Add((start, end));
                }
            }
        }

        return result;
    }
}

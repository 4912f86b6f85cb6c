namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>The spans availability is asked over for entries of one kind: their windows merged, cut to a search's largest span.</summary>
public static class WaitlistWindows
{
    /// <summary>
    /// The windows merged where they overlap or touch, each then cut into spans of at most <paramref name="most"/>
    /// that overlap by <paramref name="length"/> (a time across a cut is found in the later span); spans shorter than
    /// <paramref name="length"/> hold no time and are left out.
    /// </summary>
    public static IReadOnlyList<TimeRange> Searches(IEnumerable<TimeRange> windows, TimeSpan length, TimeSpan most)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (length <= TimeSpan.Zero || most <= length)
        {
            throw new ArgumentOutOfRangeException(nameof(most), "A search must be longer than the time looked for.");
        }

        var merged = new List<TimeRange>();
        foreach (var window in windows.OrderBy(w => w.Start))
        {
            if (merged.Count > 0 && window.Start <= merged[^1].End)
            {
                merged[^1] = merged[^1] with { End = window.End > merged[^1].End ? window.End : merged[^1].End };
            }
            else
            {
                merged.Add(window);
            }
        }

        var spans = new List<TimeRange>();
        foreach (var window in merged.Where(w => w.Length >= length))
        {
            for (var start = window.Start; ; start += most - length)
            {
                var end = window.End - start > most ? start + most : window.End;
                spans.Add(new TimeRange(start, end));
                if (end == window.End)
                {
                    break;
                }
            }
        }

        return spans;
    }
}

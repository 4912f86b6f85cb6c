namespace Scheduling.Schema.Booking;

/// <summary>A half-open span of time [Start, End).</summary>
public readonly record struct TimeRange(DateTimeOffset Start, DateTimeOffset End)
{
    public TimeSpan Length => End - Start;

    public bool Overlaps(TimeRange other) => Start < other.End && other.Start < End;

    public bool Contains(TimeRange other) => Start <= other.Start && other.End <= End;

    public static TimeRange? Of(DateTimeOffset? start, DateTimeOffset? end) =>
        start is { } s && end is { } e && e > s ? new TimeRange(s, e) : null;
}

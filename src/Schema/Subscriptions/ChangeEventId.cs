using System.Globalization;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// A change's place in the change stream, shared by every instance: Redis Streams' entry id (milliseconds, then a
/// sequence within the millisecond), or the in-process bus's own in the same shape. Ids only grow; a client sends
/// back the last one it received to resume after it. Written <c>ms-seq</c>.
/// </summary>
public readonly record struct ChangeEventId(long Milliseconds, long Sequence) : IComparable<ChangeEventId>
{
    /// <summary>The smallest id after this one.</summary>
    public ChangeEventId Next => Sequence == long.MaxValue ? new(Milliseconds + 1, 0) : new(Milliseconds, Sequence + 1);

    /// <summary>An id as a client or Redis writes it; false for anything else (nothing to place).</summary>
    public static bool TryParse(string? text, out ChangeEventId id)
    {
        id = default;
        var dash = text?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (text is null || dash <= 0 || text.Length > 41 ||
            !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ||
            !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        id = new ChangeEventId(ms, seq);
        return true;
    }

    /// <summary>The id after <paramref name="last"/> for a change made at <paramref name="now"/>: its millisecond, or after the last.</summary>
    public static ChangeEventId After(ChangeEventId? last, DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        return last is { } l && l.Milliseconds >= ms ? l.Next : new ChangeEventId(ms, 0);
    }

    public int CompareTo(ChangeEventId other) =>
        Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

    public static bool operator <(ChangeEventId left, ChangeEventId right) => left.CompareTo(right) < 0;

    public static bool operator >(ChangeEventId left, ChangeEventId right) => left.CompareTo(right) > 0;

    public static bool operator <=(ChangeEventId left, ChangeEventId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ChangeEventId left, ChangeEventId right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");
}

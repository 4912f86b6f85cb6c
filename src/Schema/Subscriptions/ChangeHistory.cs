using System.ComponentModel.DataAnnotations;

namespace Scheduling.Schema.Subscriptions;

/// <summary>Bound from the <c>Subscriptions</c> section: how long the change stream is kept for clients that resume.</summary>
public sealed class ChangeHistoryOptions
{
    public const string SectionName = "Subscriptions";

    /// <summary>A client that reconnects within this many seconds of its last event gets what it missed; later, it must refetch.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int RetentionSeconds { get; set; } = 15 * 60;

    /// <summary>At most this many changes (of every resource type) are kept, whatever their age (Redis trims approximately, never below it).</summary>
    [Range(1, 10_000_000)]
    public int MaxRetainedEvents { get; set; } = 100_000;

    /// <summary>
    /// For this many seconds after the stream carried a resource, resolving an event takes that version instead of
    /// reading it from FHIR (<see cref="CarriedResources"/>); 0: always read.
    /// </summary>
    [Range(0, 3600)]
    public int CarriedResourceSeconds { get; set; } = 30;
}

/// <summary>
/// A change as the stream recorded it; <see cref="Id"/> is null when it could not be recorded (Redis was away).
/// <see cref="FollowedBy"/>: how many changes of the same write (one FHIR transaction) come right after it in the
/// stream, so that a reader hears all of them before it hands the first to its followers.
/// </summary>
public sealed record RecordedChange(ChangeEventId? Id, ResourceChange Change, int FollowedBy = 0);

/// <summary>Why a client that resumes must refetch instead of receiving what it missed.</summary>
public enum RefetchReason
{
    /// <summary>Its last event is older than the retention window, or what came after it is no longer kept.</summary>
    Expired,

    /// <summary>Its last event id is not one of this stream's (malformed, from the future, or from a stream since lost).</summary>
    UnknownEventId,

    /// <summary>The history could not be read (Redis is away).</summary>
    Unavailable,

    /// <summary>The subscription fell so far behind that events were dropped from its queue.</summary>
    Overflow,
}

/// <summary>
/// What came after a client's last event: every change since, in order (<see cref="Refetch"/> null), or why not.
/// <see cref="Head"/> is the stream's newest id when read: live events up to it are covered by this answer.
/// </summary>
public sealed record ChangeHistory(IReadOnlyList<RecordedChange> Changes, ChangeEventId? Head, RefetchReason? Refetch)
{
    public static ChangeHistory Missing(RefetchReason reason, ChangeEventId? head) => new([], head, reason);

    /// <summary>
    /// The one rule of resuming, for every bus: whether the changes after <paramref name="after"/> are all still
    /// kept, given the stream's newest id, its oldest kept one and the retention window. Null: read (after, head].
    /// Changes are only ever trimmed from the front, so an id at or after the oldest kept one has lost nothing.
    /// <paramref name="unrecordedAfter"/>: a change went out on this instance without being recorded (the stream could
    /// not be written) when the stream stood at this id or before; a client whose last event is at or before it may
    /// have missed that change, which no read can give back, so it must refetch, even from the stream's head (nothing
    /// recorded since does not mean nothing happened).
    /// </summary>
    public static RefetchReason? Place(ChangeEventId after, ChangeEventId? head, ChangeEventId? oldestKept, DateTimeOffset now, TimeSpan retention, ChangeEventId? unrecordedAfter = null)
    {
        if (head is not { } newest || after > newest)
        {
            return RefetchReason.UnknownEventId;
        }

        if (unrecordedAfter is { } gap && after <= gap)
        {
            return RefetchReason.Expired;
        }

        if (after == newest)
        {
            return null; // nothing happened since
        }

        if (after.Milliseconds < (now - retention).ToUnixTimeMilliseconds() || oldestKept is not { } oldest || after < oldest)
        {
            return RefetchReason.Expired;
        }

        return null;
    }
}

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// What a subscription's stream carries instead of the events a resuming client missed, when they cannot be told
/// (<see cref="RefetchReason"/>): the client refetches what it shows, and the stream goes on live from
/// <see cref="EventId"/> (the stream's newest id when the signal was made; resuming from it later loses nothing).
/// It reaches the client as a typed event of the subscription's own type (kind <c>REFETCH_REQUIRED</c> and its
/// <c>refetch</c> field, <see cref="RefetchRequiredType"/>), not as an error.
/// </summary>
public sealed record RefetchRequired(RefetchReason Reason, ChangeEventId? EventId);

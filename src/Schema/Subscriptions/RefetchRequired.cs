using GraphQL;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// What a subscription's stream carries instead of the events a resuming client missed, when they cannot be told
/// (<see cref="RefetchReason"/>): the client refetches what it shows, and the stream goes on live from
/// <see cref="EventId"/> (the stream's newest id when the signal was made; resuming from it later loses nothing).
/// It reaches the client as a <c>next</c> whose error has the code <c>REFETCH_REQUIRED</c> and the reason.
/// </summary>
public sealed record RefetchRequired(RefetchReason Reason, ChangeEventId? EventId)
{
    public const string Code = "REFETCH_REQUIRED";

    public ExecutionError ToError()
    {
        var error = new ExecutionError(Reason switch
        {
            RefetchReason.Expired => "The events since your last event id are no longer kept: refetch, then keep receiving from here.",
            RefetchReason.UnknownEventId => "Your last event id is not one of this stream's: refetch, then keep receiving from here.",
            RefetchReason.Unavailable => "The events since your last event id cannot be read now: refetch, then keep receiving from here.",
            _ => "This subscription fell behind and missed events: refetch, then keep receiving from here.",
        })
        {
            Code = Code,
        };
        error.Extensions ??= new Dictionary<string, object?>();
        error.Extensions["reason"] = Reason switch
        {
            RefetchReason.Expired => "EXPIRED",
            RefetchReason.UnknownEventId => "UNKNOWN_EVENT_ID",
            RefetchReason.Unavailable => "UNAVAILABLE",
            _ => "OVERFLOW",
        };
        return error;
    }
}

using GraphQL.Types;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Subscriptions;

/// <summary>The subscription events' <c>refetch</c> field: why the client must refetch, and where its stream now stands.</summary>
public sealed class RefetchRequiredType : ObjectGraphType<RefetchRequired>
{
    public RefetchRequiredType()
    {
        Name = "RefetchRequired";
        Description = "The events since the client's last event id cannot be told: refetch what you show, then keep receiving from here.";
        Field<NonNullGraphType<RefetchReasonType>>("reason").Description("Why they cannot be told.").Resolve(c => c.Source.Reason);
        Field<StringGraphType>("eventId")
            .Description("Where the stream now stands (the same as the result's extensions.eventId): resuming from it later loses nothing. Null when unknown.")
            .Resolve(c => c.Source.EventId?.ToString());
    }
}

public sealed class RefetchReasonType : EnumerationGraphType<RefetchReason>
{
    public RefetchReasonType()
    {
        Name = "RefetchReason";
        Description = "Why a resuming subscription must refetch.";
        this.DescribeValues(
            ("EXPIRED", "The last event id is older than the retention window, or what came after it is no longer kept."),
            ("UNKNOWN_EVENT_ID", "The last event id is not one of this stream's."),
            ("UNAVAILABLE", "The history cannot be read now."),
            ("OVERFLOW", "The subscription fell so far behind that events were dropped."));
    }
}

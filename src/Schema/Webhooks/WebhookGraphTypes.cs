using GraphQL.Types;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Webhooks;

public sealed class WebhookEventTypeType : EnumerationGraphType<WebhookEventType>
{
    public WebhookEventTypeType()
    {
        Name = "WebhookEventType";
        Description = "What happened to an appointment, as a webhook event's type names it.";
        this.DescribeValues(
            ("APPOINTMENT_BOOKED", "Made BOOKED: booked at once, or a hold or proposal confirmed."),
            ("APPOINTMENT_HELD", "Made PENDING: a hold or a proposal."),
            ("APPOINTMENT_RESCHEDULED", "Moved to another time, still open (previousStart and previousEnd say from where)."),
            ("APPOINTMENT_CANCELLED", "Cancelled, by a caller or because a hold expired."),
            ("APPOINTMENT_UPDATED", "Any other change: check-in, arrival, fulfilment, no-show, an answer, an edit on the FHIR server."),
            ("APPOINTMENT_DELETED", "Deleted from the FHIR server."));
    }
}

public sealed class WebhookStatusType : EnumerationGraphType<WebhookState>
{
    public WebhookStatusType()
    {
        Name = "WebhookStatus";
        Description = "Whether a webhook is delivered to.";
        this.DescribeValues(
            ("ACTIVE", "Delivered to; its last delivery succeeded."),
            ("ERROR", "Still delivered to, but a delivery failed after every attempt (lastError says which)."),
            ("DISABLED", "No longer delivered to: its receiver answered 410 Gone."));
    }
}

public sealed class WebhookDeliveryOutcomeType : EnumerationGraphType<WebhookOutcome>
{
    public WebhookDeliveryOutcomeType()
    {
        Name = "WebhookDeliveryOutcome";
        Description = "How one delivery attempt ended.";
        this.DescribeValues(
            ("DELIVERED", "The receiver answered 2xx."),
            ("RETRYING", "It failed; another attempt is scheduled with backoff."),
            ("FAILED", "It failed and was the last attempt (Webhooks:MaxAttempts)."),
            ("DISABLED", "The receiver answered 410 Gone: the webhook is disabled."));
    }
}

public sealed class WebhookType : ObjectGraphType<WebhookEndpoint>
{
    public WebhookType()
    {
        Name = "Webhook";
        Description = "An endpoint that receives a signed JSON event for each appointment change (admins only). Stored as a FHIR Subscription.";
        // Not `id`, and not a Node: a webhook is admin-only configuration, which node(id:) (answered alike to every role
        // that sees entities) does not read; normalized client caches therefore do not take it for a refetchable entity.
        Field<NonNullGraphType<IdGraphType>>("webhookId").Description("The webhook's global id (the codec of every id of this API), as webhookId arguments take it.").Resolve(c => WebhookRegistry.GlobalIdOf(c.Source.Id));
        Field<NonNullGraphType<IdGraphType>>("fhirId").Description("The FHIR Subscription's logical id.").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("url").Description("Where events are posted.").Resolve(c => c.Source.Url.AbsoluteUri);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<WebhookEventTypeType>>>>("events")
            .Description("The event types it receives; empty: every type.").Resolve(c => c.Source.Events.Order().ToList());
        Field<StringGraphType>("description").Description("What it is for, as registered.").Resolve(c => c.Source.Description);
        Field<NonNullGraphType<WebhookStatusType>>("status").Description("Whether it is delivered to.").Resolve(c => c.Source.State);
        Field<StringGraphType>("lastError").Description("Why the last delivery that gave up failed; null while deliveries succeed.").Resolve(c => c.Source.LastError);
        Field<IsoDateTimeGraphType>("updatedAt").Description("When it last changed (registration, rotation, a new status).").Resolve(c => c.Source.LastUpdated);
    }
}

public sealed class WebhookDeliveryType : ObjectGraphType<WebhookAttempt>
{
    public WebhookDeliveryType()
    {
        Name = "WebhookDelivery";
        Description = "One attempt to deliver one event to a webhook, as its delivery log keeps it.";
        Field<NonNullGraphType<StringGraphType>>("eventId").Description("The event's id (the change stream's id; the Scheduling-Event-Id header): the receiver's de-duplication key.").Resolve(c => c.Source.EventId);
        Field<NonNullGraphType<WebhookEventTypeType>>("eventType").Description("The event's type.").Resolve(c => Enum.GetValues<WebhookEventType>().First(t => WebhookEvents.Name(t) == c.Source.EventType));
        Field<NonNullGraphType<IntGraphType>>("attempt").Description("Which attempt this was, from 1 (the Scheduling-Delivery-Attempt header).").Resolve(c => c.Source.Attempt);
        Field<NonNullGraphType<WebhookDeliveryOutcomeType>>("outcome").Description("How it ended.").Resolve(c => c.Source.Outcome);
        Field<IntGraphType>("statusCode").Description("The receiver's HTTP status; null when none came (no connection, timeout).").Resolve(c => c.Source.StatusCode);
        Field<NonNullGraphType<IntGraphType>>("durationMs").Description("How long the attempt took, in milliseconds.").Resolve(c => (int)Math.Min(int.MaxValue, c.Source.DurationMilliseconds));
        Field<StringGraphType>("error").Description("Why it failed; null when delivered.").Resolve(c => c.Source.Error);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("at").Description("When the attempt ended.").Resolve(c => c.Source.At);
        Field<NonNullGraphType<BooleanGraphType>>("replay").Description("Whether it was sent again by replayWebhookDeliveries.").Resolve(c => c.Source.Replay);
    }
}

using GraphQL.Types;
using Scheduling.Schema.Common;
using Scheduling.Schema.Identity;

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
        // A Node (Relay: a connection's edges carry nodes), read through node(id:) by admins only: the access policy's
        // SchedulingAccess.ReadRoleOf, checked by NodeQueries before anything is read.
        Interface<NodeInterface>();
        IsTypeOf = o => o is WebhookEndpoint;
        Field<NonNullGraphType<IdGraphType>>("id").Description("The global id: opaque, unique across every type of this API; node(id:) reads it back (admins only).").Resolve(c => WebhookRegistry.GlobalIdOf(c.Source.Id));
        Field<NonNullGraphType<IdGraphType>>("webhookId").Description("The webhook's global id, the same as id.").Resolve(c => WebhookRegistry.GlobalIdOf(c.Source.Id));
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

/// <summary>An attempt with where it is kept: its webhook and its cursor in that webhook's delivery log (its identity).</summary>
public sealed record LoggedAttempt(string WebhookId, string Cursor, WebhookAttempt Attempt);

public sealed class WebhookDeliveryType : ObjectGraphType<LoggedAttempt>
{
    public WebhookDeliveryType()
    {
        Name = "WebhookDelivery";
        Description = "One attempt to deliver one event to a webhook, as its delivery log keeps it (admins only).";
        Interface<NodeInterface>();
        IsTypeOf = o => o is LoggedAttempt;
        Field<NonNullGraphType<IdGraphType>>("id").Description("The global id: opaque, unique across every type of this API; node(id:) reads it back (admins only) while the log keeps the attempt.")
            .Resolve(c => GlobalId.EncodeDelivery(c.Source.WebhookId, c.Source.Cursor));
        Field<NonNullGraphType<StringGraphType>>("eventId").Description("The event's id (the change stream's id; the Scheduling-Event-Id header): the receiver's de-duplication key.").Resolve(c => c.Source.Attempt.EventId);
        Field<NonNullGraphType<WebhookEventTypeType>>("eventType").Description("The event's type.").Resolve(c => Enum.GetValues<WebhookEventType>().First(t => WebhookEvents.Name(t) == c.Source.Attempt.EventType));
        Field<NonNullGraphType<IntGraphType>>("attempt").Description("Which attempt this was, from 1 (the Scheduling-Delivery-Attempt header).").Resolve(c => c.Source.Attempt.Attempt);
        Field<NonNullGraphType<WebhookDeliveryOutcomeType>>("outcome").Description("How it ended.").Resolve(c => c.Source.Attempt.Outcome);
        Field<IntGraphType>("statusCode").Description("The receiver's HTTP status; null when none came (no connection, timeout).").Resolve(c => c.Source.Attempt.StatusCode);
        Field<NonNullGraphType<IntGraphType>>("durationMs").Description("How long the attempt took, in milliseconds.").Resolve(c => (int)Math.Min(int.MaxValue, c.Source.Attempt.DurationMilliseconds));
        Field<StringGraphType>("error").Description("Why it failed; null when delivered.").Resolve(c => c.Source.Attempt.Error);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("at").Description("When the attempt ended.").Resolve(c => c.Source.Attempt.At);
        Field<NonNullGraphType<BooleanGraphType>>("replay").Description("Whether it was sent again by replayWebhookDeliveries.").Resolve(c => c.Source.Attempt.Replay);
    }
}

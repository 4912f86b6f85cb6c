using System.Text.Json;
using System.Text.Json.Serialization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Schema.Subscriptions;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Webhooks;

/// <summary>What happened to an appointment, as a webhook names it (<c>type</c> in the body, CONSTANT_CASE).</summary>
public enum WebhookEventType
{
    /// <summary>Made BOOKED: booked at once, or a hold or proposal confirmed.</summary>
    AppointmentBooked,

    /// <summary>Made PENDING: a hold (holdSlots) or a proposal.</summary>
    AppointmentHeld,

    /// <summary>Moved to another time, still open.</summary>
    AppointmentRescheduled,

    /// <summary>Cancelled (by a caller, or a hold that expired).</summary>
    AppointmentCancelled,

    /// <summary>Any other change: check-in, arrival, fulfilment, no-show, a participant's answer, an edit on the FHIR server.</summary>
    AppointmentUpdated,

    /// <summary>Deleted from the FHIR server.</summary>
    AppointmentDeleted,
}

/// <summary>What a webhook compares between versions of an appointment: its status and time.</summary>
public sealed record AppointmentShape(string? Status, DateTimeOffset? Start, DateTimeOffset? End)
{
    public static AppointmentShape Of(Appointment appointment)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        return new(appointment.Status?.GetLiteral(), appointment.Start, appointment.End);
    }
}

/// <summary>An event ready to send: its id (the change stream's), type and the JSON body every attempt sends as is.</summary>
public sealed record WebhookEvent(string Id, WebhookEventType Type, string Body);

/// <summary>
/// Appointment changes as webhook events: which type a change is (from the new version and the last one the webhooks
/// saw, since a change carries only the new one), and the small JSON body: ids, status and time, no patient data
/// beyond ids (a receiver that needs more asks the API with its own rights).
/// </summary>
public static class WebhookEvents
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The enum value as the body and the GraphQL enum write it: <c>APPOINTMENT_BOOKED</c>.</summary>
    public static string Name(WebhookEventType type) => type switch
    {
        WebhookEventType.AppointmentBooked => "APPOINTMENT_BOOKED",
        WebhookEventType.AppointmentHeld => "APPOINTMENT_HELD",
        WebhookEventType.AppointmentRescheduled => "APPOINTMENT_RESCHEDULED",
        WebhookEventType.AppointmentCancelled => "APPOINTMENT_CANCELLED",
        WebhookEventType.AppointmentUpdated => "APPOINTMENT_UPDATED",
        WebhookEventType.AppointmentDeleted => "APPOINTMENT_DELETED",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// The event type of a change, given the appointment's previous shape when the webhooks saw one (null: first seen).
    /// A status change decides first (cancelled, booked from not booked, held); then a new time of an open appointment
    /// is a reschedule; anything else an update.
    /// </summary>
    public static WebhookEventType Classify(ChangeKind kind, AppointmentShape? previous, AppointmentShape current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var cancelled = AppointmentStatus.Cancelled.GetLiteral();
        var booked = AppointmentStatus.Booked.GetLiteral();
        var pending = AppointmentStatus.Pending.GetLiteral();
        if (kind == ChangeKind.Deleted)
        {
            return WebhookEventType.AppointmentDeleted;
        }

        if (current.Status == cancelled)
        {
            return previous?.Status == cancelled ? WebhookEventType.AppointmentUpdated : WebhookEventType.AppointmentCancelled;
        }

        var firstSeen = kind == ChangeKind.Created || previous is null;
        if (current.Status == booked && (kind == ChangeKind.Created || (previous is not null && previous.Status != booked)))
        {
            return WebhookEventType.AppointmentBooked;
        }

        if (current.Status == pending && kind == ChangeKind.Created)
        {
            return WebhookEventType.AppointmentHeld;
        }

        if (!firstSeen && (previous!.Start != current.Start || previous.End != current.End))
        {
            return WebhookEventType.AppointmentRescheduled;
        }

        return WebhookEventType.AppointmentUpdated;
    }

    /// <summary>The body of an event: <c>{ id, type, occurredAt, appointment { id, fhirId, versionId, status, start, end, previousStart, previousEnd, slotIds, participants } }</c>.</summary>
    public static string Body(string eventId, WebhookEventType type, DateTimeOffset occurredAt, Appointment appointment, AppointmentShape? previous)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        var moved = type == WebhookEventType.AppointmentRescheduled;
        var body = new EventBody(
            eventId,
            Name(type),
            occurredAt,
            new AppointmentBody(
                GlobalId.Encode("Appointment", appointment.Id ?? string.Empty),
                appointment.Id ?? string.Empty,
                appointment.Meta?.VersionId,
                appointment.Status?.GetLiteral().ToUpperInvariant().Replace('-', '_'),
                appointment.Start,
                appointment.End,
                moved ? previous?.Start : null,
                moved ? previous?.End : null,
                [.. appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(GlobalId.Encode)],
                [.. appointment.Participant.Select(p => FhirReference.From(p.Actor)).OfType<FhirReference>()
                    .Select(r => new ParticipantBody(r.ResourceType, GlobalId.Encode(r), r.Id))]));
        return JsonSerializer.Serialize(body, Json);
    }

    private sealed record EventBody(string Id, string Type, DateTimeOffset OccurredAt, AppointmentBody Appointment);

    private sealed record AppointmentBody(
        string Id, string FhirId, string? VersionId, string? Status, DateTimeOffset? Start, DateTimeOffset? End,
        DateTimeOffset? PreviousStart, DateTimeOffset? PreviousEnd, IReadOnlyList<string> SlotIds, IReadOnlyList<ParticipantBody> Participants);

    private sealed record ParticipantBody(string Type, string Id, string FhirId);
}

using System.Globalization;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.Webhooks;

/// <summary>One delivery of one event to one endpoint, at its attempt; <see cref="Token"/> tells a replay from the first sending.</summary>
public sealed record WebhookJob(string EventId, string EndpointId, int Attempt, string Token)
{
    public string Member => string.Create(CultureInfo.InvariantCulture, $"{EventId}|{EndpointId}|{Attempt}|{Token}");

    public bool IsReplay => Token != "0";

    public WebhookJob Next => this with { Attempt = Attempt + 1 };

    public static WebhookJob? Parse(string member)
    {
        var parts = (member ?? string.Empty).Split('|');
        return parts.Length == 4 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
            ? new WebhookJob(parts[0], parts[1], attempt, parts[3])
            : null;
    }
}

/// <summary>How one attempt ended.</summary>
public enum WebhookOutcome
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>It failed; another attempt is scheduled.</summary>
    Retrying,

    /// <summary>It failed and was the last attempt.</summary>
    Failed,

    /// <summary>The receiver answered 410 Gone: the endpoint is disabled.</summary>
    Disabled,
}

/// <summary>One attempt as the delivery log keeps it.</summary>
public sealed record WebhookAttempt(
    string EventId, string EventType, int Attempt, WebhookOutcome Outcome, int? StatusCode, long DurationMilliseconds, string? Error, DateTimeOffset At, bool Replay);

/// <summary>A page of a delivery log, newest first; each attempt with its cursor.</summary>
public sealed record WebhookLogPage(IReadOnlyList<(string Cursor, WebhookAttempt Attempt)> Items, bool HasMore);

/// <summary>
/// Where webhook deliveries are queued, claimed and logged: where the change bus lives (Redis with
/// <c>Redis:Configuration</c>, shared by every instance; in memory otherwise). A job is claimed with a lease: an
/// instance that dies mid-delivery loses it to another after <see cref="WebhookOptions.LeaseSeconds"/>.
/// </summary>
public interface IWebhookStore
{
    /// <summary>
    /// Keeps the event and queues it for each endpoint, once per event id whichever instances call (the first one's
    /// endpoints count); false when it was already queued.
    /// </summary>
    Task<bool> EnqueueAsync(WebhookEvent webhookEvent, IReadOnlyList<string> endpointIds, DateTimeOffset now);

    /// <summary>
    /// Records the appointment's shape at <paramref name="eventId"/> and answers the one before it (null: none known,
    /// or the change came out of order); asked again for the same event, answers the same.
    /// </summary>
    Task<AppointmentShape?> SwapShapeAsync(string appointmentId, ChangeEventId eventId, AppointmentShape shape, DateTimeOffset now);

    /// <summary>Claims up to <paramref name="max"/> jobs due by <paramref name="now"/> for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<WebhookJob>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max);

    /// <summary>Replaces the claimed job by its next attempt, due at <paramref name="due"/> (nothing if another instance already finished it).</summary>
    Task RetryAsync(WebhookJob job, DateTimeOffset due);

    /// <summary>The job is done (delivered, failed for good, or moot).</summary>
    Task CompleteAsync(WebhookJob job);

    Task<WebhookEvent?> EventAsync(string eventId);

    Task AppendLogAsync(string endpointId, WebhookAttempt attempt, DateTimeOffset now);

    /// <summary>The endpoint's attempts, newest first, after <paramref name="after"/> (a cursor of this log).</summary>
    Task<WebhookLogPage> ReadLogAsync(string endpointId, int first, string? after);

    /// <summary>Event ids in the endpoint's log whose change happened at or after <paramref name="since"/>, oldest first.</summary>
    Task<IReadOnlyList<string>> LoggedEventsSinceAsync(string endpointId, DateTimeOffset since);

    /// <summary>Queues the events still kept for the endpoint again, now, under a new token; answers those queued.</summary>
    Task<IReadOnlyList<string>> ReplayAsync(string endpointId, IReadOnlyList<string> eventIds, DateTimeOffset now);
}

/// <summary>A job's due time as a score: milliseconds since the epoch.</summary>
internal static class WebhookScores
{
    public static double Of(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset OccurredAt(string eventId) =>
        ChangeEventId.TryParse(eventId, out var id) ? DateTimeOffset.FromUnixTimeMilliseconds(id.Milliseconds) : DateTimeOffset.MinValue;
}

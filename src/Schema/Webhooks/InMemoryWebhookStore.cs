using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.Webhooks;

/// <summary>One instance without Redis: the queue, events and logs in memory (lost on restart, as the change bus's history is).</summary>
public sealed class InMemoryWebhookStore(IOptions<WebhookOptions> options) : IWebhookStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (WebhookEvent Event, DateTimeOffset Expires)> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ChangeEventId Id, AppointmentShape Shape, AppointmentShape? Previous)> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(ChangeEventId Id, WebhookAttempt Attempt)>> _logs = new(StringComparer.Ordinal);
    private ChangeEventId? _lastLogId;
    private long _replays;

    private TimeSpan Retention => TimeSpan.FromSeconds(options.Value.RetentionSeconds);

    public Task<bool> EnqueueAsync(WebhookEvent webhookEvent, IReadOnlyList<string> endpointIds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        ArgumentNullException.ThrowIfNull(endpointIds);
        lock (_gate)
        {
            foreach (var expired in _events.Where(e => e.Value.Expires <= now).Select(e => e.Key).ToList())
            {
                _events.Remove(expired);
            }

            if (!_events.TryAdd(webhookEvent.Id, (webhookEvent, now + Retention)))
            {
                return Task.FromResult(false);
            }

            foreach (var endpoint in endpointIds)
            {
                _due[new WebhookJob(webhookEvent.Id, endpoint, 1, "0").Member] = now;
            }

            return Task.FromResult(true);
        }
    }

    public Task<AppointmentShape?> SwapShapeAsync(string appointmentId, ChangeEventId eventId, AppointmentShape shape, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_shapes.TryGetValue(appointmentId, out var known))
            {
                if (known.Id == eventId)
                {
                    return Task.FromResult(known.Previous);
                }

                if (known.Id > eventId)
                {
                    return Task.FromResult<AppointmentShape?>(null);
                }
            }

            AppointmentShape? previous = _shapes.TryGetValue(appointmentId, out var before) ? before.Shape : null;
            _shapes[appointmentId] = (eventId, shape, previous);
            return Task.FromResult(previous);
        }
    }

    public Task<IReadOnlyList<WebhookJob>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max)
    {
        lock (_gate)
        {
            var claimed = _due.Where(d => d.Value <= now).OrderBy(d => d.Value).Take(max).Select(d => d.Key).ToList();
            foreach (var member in claimed)
            {
                _due[member] = now + lease;
            }

            return Task.FromResult<IReadOnlyList<WebhookJob>>([.. claimed.Select(WebhookJob.Parse).OfType<WebhookJob>()]);
        }
    }

    public Task RetryAsync(WebhookJob job, DateTimeOffset due)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            if (_due.Remove(job.Member))
            {
                _due[job.Next.Member] = due;
            }
        }

        return Task.CompletedTask;
    }

    public Task CompleteAsync(WebhookJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            _due.Remove(job.Member);
        }

        return Task.CompletedTask;
    }

    public Task<WebhookEvent?> EventAsync(string eventId)
    {
        lock (_gate)
        {
            return Task.FromResult(_events.TryGetValue(eventId, out var kept) ? kept.Event : null);
        }
    }

    public Task AppendLogAsync(string endpointId, WebhookAttempt attempt, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_logs.TryGetValue(endpointId, out var log))
            {
                _logs[endpointId] = log = [];
            }

            _lastLogId = ChangeEventId.After(_lastLogId, now);
            log.Add((_lastLogId.Value, attempt));
            var cutoff = now - Retention;
            log.RemoveAll(e => e.Attempt.At < cutoff);
            if (log.Count > options.Value.MaxLogEntriesPerEndpoint)
            {
                log.RemoveRange(0, log.Count - options.Value.MaxLogEntriesPerEndpoint);
            }
        }

        return Task.CompletedTask;
    }

    public Task<WebhookLogPage> ReadLogAsync(string endpointId, int first, string? after)
    {
        lock (_gate)
        {
            var log = _logs.TryGetValue(endpointId, out var kept) ? kept : [];
            var before = after is not null && ChangeEventId.TryParse(after, out var cursor) ? cursor : (ChangeEventId?)null;
            var newest = log.AsEnumerable().Reverse().Where(e => before is null || e.Id < before.Value).Take(first + 1).ToList();
            return Task.FromResult(new WebhookLogPage([.. newest.Take(first).Select(e => (e.Id.ToString(), e.Attempt))], newest.Count > first));
        }
    }

    public Task<IReadOnlyList<string>> LoggedEventsSinceAsync(string endpointId, DateTimeOffset since)
    {
        lock (_gate)
        {
            var log = _logs.TryGetValue(endpointId, out var kept) ? kept : [];
            return Task.FromResult<IReadOnlyList<string>>([.. log.Select(e => e.Attempt.EventId).Distinct()
                .Where(id => WebhookScores.OccurredAt(id) >= since).OrderBy(WebhookScores.OccurredAt)]);
        }
    }

    public Task<IReadOnlyList<string>> ReplayAsync(string endpointId, IReadOnlyList<string> eventIds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        lock (_gate)
        {
            var token = "r" + (++_replays).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var kept = eventIds.Distinct().Where(_events.ContainsKey).ToList();
            foreach (var id in kept)
            {
                _due[new WebhookJob(id, endpointId, 1, token).Member] = now;
            }

            return Task.FromResult<IReadOnlyList<string>>(kept);
        }
    }
}

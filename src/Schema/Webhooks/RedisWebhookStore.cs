using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;
using StackExchange.Redis;

namespace Scheduling.Schema.Webhooks;

/// <summary>
/// The webhook queue shared by every instance, in the Redis the change bus uses: one sorted set of jobs scored by
/// when they are due (a claim moves a job's score a lease ahead, atomically, so one instance has it; if that instance
/// dies, the job comes due again when the lease ends), each event's body once (its first enqueuer wins, so every
/// instance may try), the appointments' last shapes, and one stream per endpoint for the delivery log, trimmed to
/// <see cref="WebhookOptions.MaxLogEntriesPerEndpoint"/> and expiring after <see cref="WebhookOptions.RetentionSeconds"/>
/// without an attempt.
/// </summary>
public sealed class RedisWebhookStore(RedisConnection connection, IOptions<WebhookOptions> options) : IWebhookStore
{
    private const string Enqueue = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          for i = 4, #ARGV do redis.call('ZADD', KEYS[2], ARGV[3], ARGV[i]) end
          return 1
        end
        return 0
        """;

    private const string Claim = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
        for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], m) end
        return due
        """;

    private const string Retry = """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2]) end
        return 0
        """;

    // Value: "<ms> <seq>\n<shape>\n<previous shape>"; answers the previous shape, '' for none, '?' when out of order.
    private const string Swap = """
        local cur = redis.call('GET', KEYS[1])
        local ms, seq = tonumber(ARGV[1]), tonumber(ARGV[2])
        local previous = ''
        if cur then
          local nl1 = string.find(cur, '\n', 1, true)
          local nl2 = string.find(cur, '\n', nl1 + 1, true)
          local head = string.sub(cur, 1, nl1 - 1)
          local sp = string.find(head, ' ', 1, true)
          local cms, cseq = tonumber(string.sub(head, 1, sp - 1)), tonumber(string.sub(head, sp + 1))
          if cms == ms and cseq == seq then return string.sub(cur, nl2 + 1) end
          if cms > ms or (cms == ms and cseq > seq) then return '?' end
          previous = string.sub(cur, nl1 + 1, nl2 - 1)
        end
        redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2] .. '\n' .. ARGV[3] .. '\n' .. previous, 'PX', ARGV[4])
        return previous
        """;

    private readonly IDatabase _db = connection?.Multiplexer.GetDatabase() ?? throw new ArgumentNullException(nameof(connection));
    private readonly WebhookOptions _options = options?.Value ?? throw new ArgumentNullException(nameof(options));

    private string Prefix => _options.RedisPrefix;

    private RedisKey Due => Prefix + "due";

    private long RetentionMs => _options.RetentionSeconds * 1000L;

    public async Task<bool> EnqueueAsync(WebhookEvent webhookEvent, IReadOnlyList<string> endpointIds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        ArgumentNullException.ThrowIfNull(endpointIds);
        RedisValue[] args = [JsonSerializer.Serialize(webhookEvent), RetentionMs, WebhookScores.Of(now),
            .. endpointIds.Select(e => (RedisValue)new WebhookJob(webhookEvent.Id, e, 1, "0").Member)];
        return (int)await _db.ScriptEvaluateAsync(Enqueue, [EventKey(webhookEvent.Id), Due], args) == 1;
    }

    public async Task<AppointmentShape?> SwapShapeAsync(string appointmentId, ChangeEventId eventId, AppointmentShape shape, DateTimeOffset now)
    {
        var previous = (string?)await _db.ScriptEvaluateAsync(Swap, [Prefix + "shape:" + appointmentId],
            [eventId.Milliseconds, eventId.Sequence, JsonSerializer.Serialize(shape), RetentionMs]);
        return string.IsNullOrEmpty(previous) || previous == "?" ? null : JsonSerializer.Deserialize<AppointmentShape>(previous);
    }

    public async Task<IReadOnlyList<WebhookJob>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max)
    {
        var claimed = (RedisResult[]?)await _db.ScriptEvaluateAsync(Claim, [Due], [WebhookScores.Of(now), WebhookScores.Of(now + lease), max]) ?? [];
        return [.. claimed.Select(m => WebhookJob.Parse((string?)m ?? string.Empty)).OfType<WebhookJob>()];
    }

    public Task RetryAsync(WebhookJob job, DateTimeOffset due)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _db.ScriptEvaluateAsync(Retry, [Due], [job.Member, job.Next.Member, WebhookScores.Of(due)]);
    }

    public Task CompleteAsync(WebhookJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _db.SortedSetRemoveAsync(Due, job.Member);
    }

    public async Task<WebhookEvent?> EventAsync(string eventId)
    {
        var kept = await _db.StringGetAsync(EventKey(eventId));
        return kept.IsNullOrEmpty ? null : JsonSerializer.Deserialize<WebhookEvent>(kept.ToString());
    }

    public async Task AppendLogAsync(string endpointId, WebhookAttempt attempt, DateTimeOffset now)
    {
        var key = LogKey(endpointId);
        await _db.StreamAddAsync(key, "a", JsonSerializer.Serialize(attempt), maxLength: _options.MaxLogEntriesPerEndpoint, useApproximateMaxLength: true);
        await _db.KeyExpireAsync(key, TimeSpan.FromMilliseconds(RetentionMs));
    }

    public async Task<WebhookLogPage> ReadLogAsync(string endpointId, int first, string? after)
    {
        // Newest first; a cursor is an entry id, and the page starts just before it.
        var end = after is not null && ChangeEventId.TryParse(after, out var cursor) ? "(" + cursor : "+";
        var entries = await _db.StreamRangeAsync(LogKey(endpointId), "-", end, first + 1, Order.Descending);
        var items = entries.Take(first).Select(e => (e.Id.ToString(), JsonSerializer.Deserialize<WebhookAttempt>(e["a"].ToString())!)).ToList();
        return new WebhookLogPage(items, entries.Length > first);
    }

    public async Task<IReadOnlyList<string>> LoggedEventsSinceAsync(string endpointId, DateTimeOffset since)
    {
        // Attempts come after their event: the log from the event time on holds every attempt of the events since.
        var from = since.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var entries = await _db.StreamRangeAsync(LogKey(endpointId), from, "+");
        return [.. entries.Select(e => JsonSerializer.Deserialize<WebhookAttempt>(e["a"].ToString())!.EventId).Distinct()
            .Where(id => WebhookScores.OccurredAt(id) >= since).OrderBy(WebhookScores.OccurredAt)];
    }

    public async Task<IReadOnlyList<string>> ReplayAsync(string endpointId, IReadOnlyList<string> eventIds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        var token = "r" + Guid.NewGuid().ToString("N")[..12];
        var queued = new List<string>();
        foreach (var id in eventIds.Distinct())
        {
            if (await _db.KeyExistsAsync(EventKey(id)))
            {
                await _db.SortedSetAddAsync(Due, new WebhookJob(id, endpointId, 1, token).Member, WebhookScores.Of(now));
                queued.Add(id);
            }
        }

        return queued;
    }

    private RedisKey EventKey(string eventId) => Prefix + "event:" + eventId;

    private RedisKey LogKey(string endpointId) => Prefix + "log:" + endpointId;
}

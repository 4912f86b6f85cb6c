using System.Text.Json;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Scheduling.Schema.Subscriptions;

/// <summary>Up to <paramref name="count"/> entries of <paramref name="stream"/> from the id <paramref name="from"/> on (the reader's one read of the stream).</summary>
internal delegate Task<StreamEntry[]> StreamPageRead(IDatabase db, RedisKey stream, RedisValue from, int count);

/// <summary>
/// The bus's reader: one per instance, reading the stream in order from where it stands and handing each write's
/// changes on. Its rule: every change of the stream reaches the subscribers once, in order, each write's readable
/// changes together, whatever fails on the way. Only a read of Redis can fail; everything from an entry read to its
/// changes handed on is done in memory and cannot (<see cref="Take"/>: an unreadable entry is dropped, a subscriber's
/// fault stays with it), and what the reader has read of a write but not yet handed on stays with the reader
/// (<see cref="WriteInProgress"/>), not with one read: a read that fails mid-write is retried from where the reader
/// stands and the write goes on.
/// </summary>
public sealed partial class RedisChangeBus
{
    private readonly WriteInProgress _write = new();

    private static Task<StreamEntry[]> ReadPageAsync(IDatabase db, RedisKey stream, RedisValue from, int count) =>
        db.StreamRangeAsync(stream, from, "+", count);

    /// <summary>The one reader of this instance: from where it stands to the stream's end, in order, then waits.</summary>
    private async Task ReadAsync()
    {
        var failing = false;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await CatchUpAsync();
                failing = false;
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                // Whatever the failure (Redis down, a command timed out under load), the reader carries on from where
                // it stands, in the middle of a write or not: this instance's subscribers get the changes late, never
                // lose them.
                if (!failing)
                {
                    LogReadFailed(_logger, e);
                }

                failing = true;
            }

            try
            {
                await _wake.WaitAsync(failing ? TimeSpan.FromMilliseconds(500) : Poll, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task CatchUpAsync()
    {
        var db = _redis.GetDatabase();
        if (_position is null)
        {
            // Start at the stream's end: what came before is history, not news.
            var last = await db.StreamRangeAsync(_stream, count: 1, messageOrder: Order.Descending);
            lock (_gate)
            {
                _position = last.Length > 0 ? ParseId(last[0].Id) : new ChangeEventId(0, 0);
                _mirror.StartAt(_position!.Value);
            }
        }

        while (true)
        {
            var page = await _readPage(db, _stream, _position!.Value.Next.ToString(), _page);
            foreach (var entry in page)
            {
                Take(entry);
            }

            if (page.Length < _page)
            {
                break;
            }
        }

        // A write is added in one MULTI/EXEC, so the stream's end never falls inside one: what is left lost its last
        // entry (trimmed away), and is handed on as it is.
        Deliver(_write.End());

        var now = _time.GetUtcNow();
        if (now - _trimmedAt > TimeSpan.FromSeconds(Math.Min(60, _history.RetentionSeconds)))
        {
            _trimmedAt = now;
            await db.StreamTrimByMinIdAsync(_stream, new ChangeEventId((now - Retention).ToUnixTimeMilliseconds(), 0).ToString(), useApproximateMaxLength: true);
        }
    }

    /// <summary>
    /// One entry read, from the stream to the subscribers: kept in the mirror before it is handed on (a resuming client
    /// either finds it there or hears it live), taken into its write, the position moved past it, and what that
    /// completes handed on. Nothing here throws.
    /// </summary>
    private void Take(StreamEntry entry)
    {
        var change = Parse(entry);
        IReadOnlyList<RecordedChange> complete;
        lock (_gate)
        {
            if (change is not null)
            {
                _mirror.Keep(change, _time.GetUtcNow());
            }

            complete = _write.Take(change, RestOf(entry));
            _position = ParseId(entry.Id) ?? _position;
        }

        Deliver(complete);
    }

    private void Deliver(IReadOnlyList<RecordedChange> changes)
    {
        foreach (var change in changes)
        {
            _handlers.Deliver(change);
        }
    }

    /// <summary>How many entries of its write follow this one (0 when it says none, or nothing readable).</summary>
    private static int RestOf(StreamEntry entry) => entry[Rest] is { IsNull: false } rest && rest.TryParse(out int following) ? Math.Max(0, following) : 0;

    private RecordedChange? Parse(StreamEntry entry)
    {
        try
        {
            return JsonSerializer.Deserialize<ResourceChange>(entry[Field].ToString()) is { } change
                ? new RecordedChange(ParseId(entry.Id), change, RestOf(entry))
                : null;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException)
        {
            LogUnreadable(_logger, entry.Id.ToString(), e);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the change stream failed; retrying from where it stands until it works")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an unreadable entry {EntryId} of the change stream")]
    private static partial void LogUnreadable(ILogger logger, string entryId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber of the change bus failed on a change; the others and its next changes are delivered all the same")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}

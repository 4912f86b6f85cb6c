using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Scheduling.Schema.Subscriptions;

/// <summary>The bus's history for resuming clients: from the mirror of what the reader read, else one shared read of the stream.</summary>
public sealed partial class RedisChangeBus
{
    /// <summary>
    /// What came after <paramref name="after"/>: from what this instance's reader has read (the mirror: no Redis
    /// command at all) when it reaches back that far, else from the stream, one read for every client resuming from
    /// the same id at once. The mirror's head is where the reader stands: what it has not read yet reaches the
    /// resuming client live, since the reader hands a change on only after the mirror keeps it. A shared read stops
    /// (before its next command) once every client waiting on it has gone.
    /// </summary>
    public async Task<ChangeHistory> ReadAfterAsync(ChangeEventId after, CancellationToken cancellationToken)
    {
        SharedRead? read;
        var starting = false;
        lock (_gate)
        {
            if (_mirror.ReadMirrored(after, _time.GetUtcNow(), _gapThrough) is { } local)
            {
                return local;
            }

            if (!_reading.TryGetValue(after, out read))
            {
                _reading[after] = read = new SharedRead();
                starting = true;
            }

            read.Waiters++;
        }

        if (starting)
        {
            _ = ReadSharedAsync(after, read);
        }

        try
        {
            return await read.History.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            lock (_gate)
            {
                if (--read.Waiters == 0 && !read.Done)
                {
                    // Nobody waits for it any more: it stops, and a client resuming from there later starts another.
                    read.Stop.Cancel();
                    Forget(after, read);
                }
            }
        }
    }

    private async Task ReadSharedAsync(ChangeEventId after, SharedRead read)
    {
        try
        {
            read.History.SetResult(await ReadStreamAsync(after, read.Stop.Token));
        }
        catch (OperationCanceledException)
        {
            read.History.SetCanceled(); // every client waiting on it has gone
        }
        catch (Exception e)
        {
            read.History.SetException(e);
        }
        finally
        {
            lock (_gate)
            {
                read.Done = true;
                read.Stop.Dispose();
                Forget(after, read);
            }
        }
    }

    private void Forget(ChangeEventId after, SharedRead read)
    {
        if (_reading.TryGetValue(after, out var current) && current == read)
        {
            _reading.Remove(after);
        }
    }

    /// <summary>The history after <paramref name="after"/> as the stream holds it (for every client resuming from there: stopped when all have gone).</summary>
    private async Task<ChangeHistory> ReadStreamAsync(ChangeEventId after, CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        try
        {
            ChangeEventId? head = null, oldest = null;
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                var info = await db.StreamInfoAsync(_stream);
                head = ParseId(info.LastGeneratedId);
                oldest = info.Length > 0 ? ParseId(info.FirstEntry.Id) : null;
            }
            catch (RedisServerException)
            {
                // no stream (yet, or any more)
            }

            ChangeEventId? gap;
            lock (_gate)
            {
                gap = _gapThrough;
            }

            if (ChangeHistory.Place(after, head, oldest, _time.GetUtcNow(), Retention, gap) is { } reason)
            {
                return ChangeHistory.Missing(reason, head);
            }

            var changes = new List<RecordedChange>();
            for (var from = after; from < head!.Value;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = await db.StreamRangeAsync(_stream, from.Next.ToString(), head.Value.ToString(), Page);
                changes.AddRange(page.Select(Parse).OfType<RecordedChange>());
                if (page.Length < Page)
                {
                    break;
                }

                from = ParseId(page[^1].Id) ?? head.Value;
            }

            return new ChangeHistory(changes, head, null);
        }
        catch (Exception e) when (Unavailable(e))
        {
            LogHistoryFailed(_logger, e);
            return ChangeHistory.Missing(RefetchReason.Unavailable, null);
        }
    }

    /// <summary>One read of the stream's history that the clients resuming from one id share (its counts under the bus's gate).</summary>
    private sealed class SharedRead
    {
        public TaskCompletionSource<ChangeHistory> History { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenSource Stop { get; } = new();

        public int Waiters { get; set; }

        public bool Done { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the change stream's history failed: the resuming client is told to refetch")]
    private static partial void LogHistoryFailed(ILogger logger, Exception exception);
}

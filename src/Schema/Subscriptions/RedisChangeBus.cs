using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// Changes across instances as one Redis stream: each instance adds its changes (<c>XADD</c>, trimmed to the
/// retention) and one reader per instance reads the stream in order from where it stands (woken by a pub/sub nudge,
/// and every second in case a nudge is lost), so every instance delivers the same changes in the same order with
/// the same ids, and a reader that lost Redis for a while catches up on what it missed. A resuming subscriber reads
/// the stream's history (<c>XRANGE</c>). If Redis is down, this instance's subscribers still get its own changes
/// (without an id: a client that resumes from before then is told to refetch), the connection comes back by itself,
/// and the health check says how it stands.
/// </summary>
public sealed partial class RedisChangeBus : IChangeBus, IDisposable
{
    private const string Field = "change";

    /// <summary>An entry's field: how many entries of the same write follow it (<see cref="RecordedChange.FollowedBy"/>).</summary>
    private const string Rest = "rest";
    private const int Page = 500;

    /// <summary>The most changes this instance keeps of what its reader read, to answer resuming clients without Redis.</summary>
    private const int MirrorCapacity = 10_000;
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private readonly Handlers<RecordedChange> _handlers;
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisKey _stream;
    private readonly RedisChannel _channel;
    private readonly ChangeHistoryOptions _history;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisChangeBus> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Task _reader;
    private readonly ChangeRingBuffer _mirror;
    private readonly Dictionary<ChangeEventId, SharedRead> _reading = [];
    private readonly int _page;
    private readonly StreamPageRead _readPage;
    private ChangeEventId? _position;
    private ChangeEventId? _gapThrough;
    private DateTimeOffset _trimmedAt;

    public RedisChangeBus(RedisConnection connection, IOptions<RedisOptions> options, IOptions<ChangeHistoryOptions> history, TimeProvider time, ILogger<RedisChangeBus> logger)
        : this(connection, options, history, time, logger, Page, ReadPageAsync)
    {
    }

    /// <summary>With the reader's page size and its one way of reading a page of the stream (tests put faults there).</summary>
    internal RedisChangeBus(RedisConnection connection, IOptions<RedisOptions> options, IOptions<ChangeHistoryOptions> history, TimeProvider time, ILogger<RedisChangeBus> logger, int page, StreamPageRead readPage)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        _history = history.Value;
        _time = time;
        _logger = logger;
        _handlers = new(e => LogHandlerFailed(logger, e));
        _page = page;
        _readPage = readPage;
        _stream = options.Value.Stream;
        _channel = RedisChannel.Literal(options.Value.Channel);
        _redis = connection.Multiplexer;
        _mirror = new ChangeRingBuffer(Math.Min(MirrorCapacity, _history.MaxRetainedEvents), Retention);
        _redis.GetSubscriber().Subscribe(_channel, (_, _) => Wake());
        _reader = Task.Run(ReadAsync);
    }

    public bool IsConnected => _redis.IsConnected;

    private TimeSpan Retention => TimeSpan.FromSeconds(_history.RetentionSeconds);

    public Task PublishAsync(ResourceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return PublishAllAsync([change]);
    }

    /// <summary>
    /// One <c>XADD</c> per change, all in one <c>MULTI</c>/<c>EXEC</c> so no other instance's entry falls between
    /// them, each with how many of the write's changes follow it (<see cref="Rest"/>, absent for a single change).
    /// </summary>
    public async Task PublishAllAsync(IReadOnlyList<ResourceChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return;
        }

        try
        {
            var db = _redis.GetDatabase();
            if (changes.Count == 1)
            {
                await db.StreamAddAsync(_stream, Field, JsonSerializer.Serialize(changes[0]), maxLength: _history.MaxRetainedEvents, useApproximateMaxLength: true);
            }
            else
            {
                var transaction = db.CreateTransaction();
                var added = changes.Select((change, i) => transaction.StreamAddAsync(_stream,
                    [new NameValueEntry(Field, JsonSerializer.Serialize(change)), new NameValueEntry(Rest, changes.Count - 1 - i)],
                    maxLength: _history.MaxRetainedEvents, useApproximateMaxLength: true)).ToList();
                if (!await transaction.ExecuteAsync())
                {
                    throw new RedisException("the change stream's MULTI/EXEC was not executed");
                }

                await Task.WhenAll(added);
            }

            Wake();
            await _redis.GetSubscriber().PublishAsync(_channel, RedisValue.EmptyString, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (Unavailable(e))
        {
            LogPublishFailed(_logger, changes[0].ResourceType, changes[0].Id, e);
            lock (_gate)
            {
                // Not in the stream: a client whose last event is from before now cannot be told what it missed.
                // Where the stream stands is not known (Redis is not answering): every id of this millisecond or
                // before, or as far as this instance has read, counts as before the unrecorded change.
                var now = new ChangeEventId(_time.GetUtcNow().ToUnixTimeMilliseconds(), long.MaxValue);
                var gap = _position is { } read && read > now ? read : now;
                _gapThrough = _gapThrough is { } earlier && earlier > gap ? earlier : gap;
                foreach (var change in changes)
                {
                    // This instance heard the whole write before publishing it (ChangeHub.PublishAllAsync): no FollowedBy.
                    _handlers.Deliver(new RecordedChange(null, change));
                }
            }
        }
    }

    public IDisposable Subscribe(Action<RecordedChange> handler) => _handlers.Add(handler);

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _reader.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // stopped
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
            // already woken, or stopping
        }
    }

    /// <summary>Redis cannot be asked now: down, or a command timed out (a <see cref="RedisTimeoutException"/> is no <see cref="RedisException"/>).</summary>
    private static bool Unavailable(Exception e) => e is RedisException or RedisTimeoutException;

    private static ChangeEventId? ParseId(RedisValue id) => ChangeEventId.TryParse(id.ToString(), out var parsed) ? parsed : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable: change of {ResourceType}/{Id} not sent to other instances nor kept for resuming clients")]
    private static partial void LogPublishFailed(ILogger logger, string resourceType, string id, Exception exception);
}

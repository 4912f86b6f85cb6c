using Microsoft.AspNetCore.Http.Features;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.Streaming;

namespace Scheduling.Gateway.GraphQLSse;

/// <summary>
/// One event stream's I/O: the response's headers, one <see cref="SendQueue{T}"/> (a client too slow to read is cut
/// off when its queue is full, and nobody else waits for it), keep-alive comments, and the stream's end: its
/// last messages are written and the response completes; or the client leaves, or the host stops.
/// </summary>
internal sealed partial class GraphQLSseConnection : IDisposable
{
    private readonly HttpContext _http;
    private readonly GraphQLSseOptions _options;
    private readonly ILogger _logger;
    private readonly SendQueue<SseMessage> _outbox;
    private readonly CancellationTokenSource _closing;
    private readonly Lock _gate = new();
    private bool _ended;

    /// <param name="stopping">The host is stopping: the stream is cut (not completed), so the client reconnects elsewhere.</param>
    public GraphQLSseConnection(HttpContext http, GraphQLSseOptions options, ILogger logger, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _options = options;
        _logger = logger;
        _outbox = new SendQueue<SseMessage>(options.SendQueueLength);
        _closing = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
    }

    /// <summary>Cancelled when the client has gone, the host stops or the client was cut off.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Starts the response: 200, <c>text/event-stream</c>, neither cached nor buffered (here or by a proxy).</summary>
    public async Task StartAsync()
    {
        var response = _http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        _http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(_closing.Token);
        // The headers go out now: a client (and a proxy) sees the stream accepted before its first event.
        await response.Body.FlushAsync(_closing.Token);
    }

    /// <summary>Queues a message, unless the stream has ended.</summary>
    public void Send(SseMessage message)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            if (_outbox.Enqueue(message) == SendQueue<SseMessage>.Outcome.Overflowed)
            {
                // A client that does not read: its stream is dropped, nothing else waits for it.
                _ended = true;
                LogSlowClient(_logger, _options.SendQueueLength);
                _closing.Cancel();
                _http.Abort();
            }
        }
    }

    /// <summary>The stream's last messages: nothing is sent after them, and the response ends once they are written.</summary>
    public void End(params SseMessage[] last)
    {
        ArgumentNullException.ThrowIfNull(last);
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            foreach (var message in last)
            {
                Send(message);
            }

            _ended = true;
        }

        // Outside the lock: completing lets the writer finish, and what awaits it carry on, on this thread.
        _outbox.Complete();
    }

    /// <summary>Writes the queued messages until the stream has ended and they are all out, the client leaves or the host stops.</summary>
    public async Task RunAsync()
    {
        var keepAlive = Heartbeat.RunAsync(_options.KeepAliveSeconds, () => Send(SseMessage.KeepAlive), _closing.Token);
        try
        {
            await _outbox.DrainAsync(
                (message, closing) => _http.Response.Body.WriteAsync(message.Encode(), closing),
                closing => new ValueTask(_http.Response.Body.FlushAsync(closing)),
                _closing.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // the client went away, or the host is stopping
        }
        finally
        {
            await _closing.CancelAsync();
            await keepAlive;
        }
    }

    public void Dispose() => _closing.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cutting off an event stream client that does not read: {Limit} messages queued")]
    private static partial void LogSlowClient(ILogger logger, int limit);
}

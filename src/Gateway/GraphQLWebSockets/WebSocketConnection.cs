using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Scheduling.Gateway.Streaming;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>What the protocol needs of a connection: send a text frame, close with a code, and know when it closes.</summary>
internal interface IMessageChannel
{
    /// <summary>Cancelled once the connection is closing: nothing more is sent or read.</summary>
    CancellationToken Closing { get; }

    /// <summary>Queues a text frame (dropped once the connection is closing).</summary>
    void Send(string message);

    /// <summary>Queues a text frame given as UTF-8 pieces, a shared result among them (a channel that takes only text gets it as text).</summary>
    void Send(OutboundFrame frame) => Send(frame.ToString());

    /// <summary>Closes the connection with a close code; later frames are neither sent nor read.</summary>
    Task CloseAsync(int code, string reason);
}

/// <summary>
/// One WebSocket's I/O, knowing nothing of GraphQL: text frames in (assembled, size-capped), text frames out through
/// one <see cref="SendQueue{T}"/> (a client too slow to read is cut off when its queue is full, and no other client
/// ever waits for it), and the close handshake (a client that does not answer it is cut off).
/// </summary>
internal sealed partial class WebSocketConnection(WebSocket socket, HttpContext http, int sendQueueLength, int maxMessageBytes, ILogger logger)
    : IMessageChannel, IDisposable
{
    private readonly SendQueue<OutboundFrame> _outbox = new(sendQueueLength);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private int _closed;

    public CancellationToken Closing => _closing.Token;

    /// <summary>Reads frames and hands each text message to <paramref name="received"/>, writing the queue meanwhile, until the connection closes.</summary>
    public async Task RunAsync(Func<string, Task> received)
    {
        var writer = _outbox.DrainAsync(SendFrameAsync, _ => ValueTask.CompletedTask, _closing.Token);
        try
        {
            await ReadLoopAsync(received);
        }
        finally
        {
            await _closing.CancelAsync();
            _outbox.Complete();
            try
            {
                await writer;
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // closing
            }
        }
    }

    public void Send(string message) => Send(OutboundFrame.Text(message));

    public void Send(OutboundFrame frame)
    {
        if (Volatile.Read(ref _closed) == 0 && _outbox.Enqueue(frame) == SendQueue<OutboundFrame>.Outcome.Overflowed && Interlocked.Exchange(ref _closed, 1) == 0)
        {
            // No close handshake is possible with a client that does not read: drop the connection itself.
            LogSlowClient(logger, _outbox.Length);
            _closing.Cancel();
            http.Abort();
        }
    }

    public async Task CloseAsync(int code, string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        // Cancelling first matters for a client that stopped reading: its pending send is aborted (with the
        // socket), which releases the send lock instead of waiting for a reader that never comes.
        await _closing.CancelAsync();
        _outbox.Complete();
        if (!await _sendLock.WaitAsync(TimeSpan.FromSeconds(5)))
        {
            http.Abort();
            return;
        }

        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None);
                // A client that does not answer the close (it may not be reading at all) is cut off.
                _ = AbortUnlessClosedAsync(TimeSpan.FromSeconds(2));
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            // the client went away first
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Dispose()
    {
        _closing.Dispose();
        _sendLock.Dispose();
    }

    private async Task AbortUnlessClosedAsync(TimeSpan grace)
    {
        await Task.Delay(grace);
        if (socket.State != WebSocketState.Closed)
        {
            http.Abort();
        }
    }

    private async Task ReadLoopAsync(Func<string, Task> received)
    {
        // Client messages are small (init, subscribe, ping); a larger one accumulates in the stream.
        var buffer = new byte[2048];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open && Volatile.Read(ref _closed) == 0)
        {
            WebSocketReceiveResult frame;
            try
            {
                frame = await socket.ReceiveAsync(buffer, http.RequestAborted);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                return;
            }

            if (frame.MessageType == WebSocketMessageType.Close)
            {
                await CloseAsync(1000, "Normal Closure");
                return;
            }

            if (frame.MessageType == WebSocketMessageType.Binary)
            {
                // GraphQL over WebSocket speaks text only; its close code for a message it cannot read.
                await CloseAsync(4400, "Binary messages are not supported");
                return;
            }

            message.Write(buffer, 0, frame.Count);
            if (message.Length > maxMessageBytes)
            {
                await CloseAsync(1009, "Message too big");
                return;
            }

            if (!frame.EndOfMessage)
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            message.SetLength(0);
            await received(text);
        }
    }

    private async ValueTask SendFrameAsync(OutboundFrame frame, CancellationToken closing)
    {
        await _sendLock.WaitAsync(closing);
        // A frame in pieces (a shared result behind this operation's head) is assembled in a pooled buffer, not a new array.
        var assembled = frame.IsWhole ? null : ArrayPool<byte>.Shared.Rent(frame.Length);
        try
        {
            ReadOnlyMemory<byte> bytes = frame.Body;
            if (assembled is not null)
            {
                frame.CopyTo(assembled);
                bytes = assembled.AsMemory(0, frame.Length);
            }

            // Without a token the socket takes its fast path (no registration, no state machine per frame); a send
            // that has to wait for the client is aborted, with the socket, if the connection closes meanwhile.
            var sending = socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            if (sending.IsCompletedSuccessfully)
            {
                sending.GetAwaiter().GetResult();
            }
            else
            {
                await using var abort = closing.Register(static s => ((WebSocket)s!).Abort(), socket);
                await sending;
            }
        }
        finally
        {
            if (assembled is not null)
            {
                ArrayPool<byte>.Shared.Return(assembled);
            }

            _sendLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing a WebSocket client that does not read: {Limit} messages queued")]
    private static partial void LogSlowClient(ILogger logger, int limit);
}

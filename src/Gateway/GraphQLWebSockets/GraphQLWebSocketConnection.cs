using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GraphQL;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>
/// One graphql-transport-ws connection: the protocol's state machine (init and ack, ping/pong, subscribe, next,
/// error, complete, and its close codes), many operations at once, each in its own DI scope. Everything this
/// connection sends goes through one bounded queue drained by one writer: a client too slow to read is closed
/// when its queue is full, and no other client ever waits for it.
/// </summary>
internal sealed partial class GraphQLWebSocketConnection : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly HttpContext _http;
    private readonly GraphQLExecutionPipeline _pipeline;
    private readonly GraphQLHttpRequestReader _reader;
    private readonly IGraphQLTextSerializer _serializer;
    private readonly IWebSocketConnectionInitHandler _initHandler;
    private readonly GraphQLWebSocketOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<string> _outbox;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Operation> _operations = new(StringComparer.Ordinal);
    private readonly ConnectionExpiry _expiry;
    private int _closed;
    private bool _initReceived;
    private volatile bool _acknowledged;

    public GraphQLWebSocketConnection(
        WebSocket socket, HttpContext http, GraphQLExecutionPipeline pipeline, GraphQLHttpRequestReader reader, IGraphQLTextSerializer serializer,
        IWebSocketConnectionInitHandler initHandler, GraphQLWebSocketOptions options, ILogger logger)
    {
        _socket = socket;
        _http = http;
        _pipeline = pipeline;
        _reader = reader;
        _serializer = serializer;
        _initHandler = initHandler;
        _options = options;
        _logger = logger;
        _outbox = Channel.CreateBounded<string>(new BoundedChannelOptions(options.SendQueueLength) { SingleReader = true });
        _expiry = new ConnectionExpiry(http.RequestServices.GetRequiredService<TimeProvider>());
    }

    public int OperationCount
    {
        get
        {
            lock (_gate)
            {
                return _operations.Count;
            }
        }
    }

    public async Task RunAsync()
    {
        var writer = WriteLoopAsync();
        var initTimeout = CloseUnlessInitialisedAsync();
        var keepAlive = Heartbeat.RunAsync(_options.KeepAliveSeconds, () =>
        {
            if (_acknowledged)
            {
                Send("""{"type":"ping"}""");
            }
        }, _closing.Token);
        var expiry = CloseWhenExpiredAsync();
        try
        {
            await ReadLoopAsync();
        }
        finally
        {
            await _closing.CancelAsync();
            _outbox.Writer.TryComplete();
            StopAllOperations();
            await Task.WhenAll(writer, initTimeout, keepAlive, expiry);
        }
    }

    public async ValueTask DisposeAsync()
    {
        StopAllOperations();
        _expiry.Dispose();
        _closing.Dispose();
        _sendLock.Dispose();
        await ValueTask.CompletedTask;
    }

    /// <summary>Closes the socket with a protocol close code; later messages are not read.</summary>
    public async Task CloseAsync(int code, string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        // Cancelling first matters for a client that stopped reading: its pending send is aborted (with the
        // socket), which releases the send lock instead of waiting for a reader that never comes.
        await _closing.CancelAsync();
        _outbox.Writer.TryComplete();
        if (!await _sendLock.WaitAsync(TimeSpan.FromSeconds(5)))
        {
            _http.Abort();
            return;
        }

        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None);
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

    private async Task AbortUnlessClosedAsync(TimeSpan grace)
    {
        await Task.Delay(grace);
        if (_socket.State != WebSocketState.Closed)
        {
            _http.Abort();
        }
    }

    private async Task ReadLoopAsync()
    {
        // Client messages are small (init, subscribe, ping); a larger one accumulates in the stream.
        var buffer = new byte[2048];
        using var message = new MemoryStream();
        while (_socket.State == WebSocketState.Open && Volatile.Read(ref _closed) == 0)
        {
            WebSocketReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(buffer, _http.RequestAborted);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                return;
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                await CloseAsync(1000, "Normal Closure");
                return;
            }

            if (received.MessageType == WebSocketMessageType.Binary)
            {
                await CloseAsync(4400, "Binary messages are not supported");
                return;
            }

            message.Write(buffer, 0, received.Count);
            if (message.Length > _options.MaxMessageBytes)
            {
                await CloseAsync(1009, "Message too big");
                return;
            }

            if (!received.EndOfMessage)
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            message.SetLength(0);
            await HandleAsync(text);
        }
    }

    private async Task HandleAsync(string text)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            await CloseAsync(4400, "Invalid message received");
            return;
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            await CloseAsync(4400, "Invalid message received");
            return;
        }

        try
        {
            await DispatchAsync(root, typeElement);
        }
        catch (InvalidOperationException)
        {
            // A string .NET cannot decode (a lone UTF-16 surrogate) in the type, id, query or token.
            await CloseAsync(4400, "Invalid message received");
        }
    }

    private async Task DispatchAsync(JsonElement root, JsonElement typeElement)
    {
        var payload = root.TryGetProperty("payload", out var p) && p.ValueKind != JsonValueKind.Null ? p : (JsonElement?)null;
        switch (typeElement.GetString())
        {
            case "connection_init":
                await OnConnectionInitAsync(payload);
                break;
            case "ping":
                await OnPingAsync(payload);
                break;
            case "pong":
                break;
            case "subscribe":
                await OnSubscribeAsync(root, payload);
                break;
            case "complete":
                if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    StopOperation(id.GetString()!);
                }
                else
                {
                    await CloseAsync(4400, "Invalid message received");
                }

                break;
            default:
                await CloseAsync(4400, "Invalid message received");
                break;
        }
    }

    private async Task OnConnectionInitAsync(JsonElement? payload)
    {
        if (_initReceived)
        {
            await CloseAsync(4429, "Too many initialisation requests");
            return;
        }

        _initReceived = true;
        if (payload is { ValueKind: not JsonValueKind.Object })
        {
            await CloseAsync(4400, "Invalid message received");
            return;
        }

        if (!await _initHandler.AcceptAsync(_http, payload, _closing.Token))
        {
            await CloseAsync(4403, "Forbidden");
            return;
        }

        // Accepted credentials run out when their token does (accepted within the validator's clock skew: already).
        _expiry.Set(ConnectionExpiry.Of(_http.User));
        if (_expiry.Expired)
        {
            await CloseAsync(4403, "Forbidden");
            return;
        }

        _acknowledged = true;
        Send("""{"type":"connection_ack"}""");
    }

    private async Task OnSubscribeAsync(JsonElement root, JsonElement? payload)
    {
        if (!_acknowledged)
        {
            await CloseAsync(4401, "Unauthorized");
            return;
        }

        if (_expiry.Expired)
        {
            await CloseAsync(4403, "Forbidden");
            return;
        }

        if (!root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String || idElement.GetString() is not { Length: > 0 } id ||
            payload is not { ValueKind: JsonValueKind.Object } request ||
            !(StringProperty(request, "query") is not null || StringProperty(request, "documentId") is not null))
        {
            await CloseAsync(4400, "Invalid message received");
            return;
        }

        // graphql-transport-ws requires 'query' to be a string: a persisted document comes with an empty one and its documentId.
        var documentId = StringProperty(request, "documentId");
        var query = StringProperty(request, "query");
        var isSubscription = OperationAdmission.IsSubscription(
            documentId is not null && string.IsNullOrEmpty(query) ? _http.RequestServices.GetRequiredService<Scheduling.Gateway.PersistedDocuments.PersistedDocumentStore>().Find(documentId) : query,
            StringProperty(request, "operationName"));
        var (operation, duplicate, refusal) = Admit(id, isSubscription);
        if (duplicate)
        {
            await CloseAsync(4409, $"Subscriber for {id} already exists");
            return;
        }

        if (refusal is var (code, message))
        {
            // Over a per-socket cap: this operation is refused; the socket and the others carry on.
            Send(Message(id, "error", new JsonArray(new JsonObject { ["message"] = message, ["extensions"] = new JsonObject { ["code"] = code } }).ToJsonString()));
            return;
        }

        _ = RunOperationAsync(operation!, request);
    }

    /// <summary>Registers a new operation under its id, unless the id is in use or a per-socket cap is reached.</summary>
    private (Operation? Operation, bool Duplicate, (string Code, string Message)? Refusal) Admit(string id, bool isSubscription)
    {
        lock (_gate)
        {
            if (_operations.ContainsKey(id))
            {
                return (null, true, null);
            }

            if (OperationAdmission.Refusal(_operations.Count, _operations.Values.Count(o => o.IsSubscription), isSubscription, _options) is { } refusal)
            {
                return (null, false, refusal);
            }

            var operation = new Operation(id, _http.RequestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope(), _closing.Token) { IsSubscription = isSubscription };
            _operations[id] = operation;
            return (operation, false, null);
        }
    }

    /// <summary>A ping is answered with a pong; on an acknowledged connection its payload may renew the credentials first.</summary>
    private async Task OnPingAsync(JsonElement? payload)
    {
        if (_acknowledged && payload is { ValueKind: JsonValueKind.Object } body)
        {
            switch (await _initHandler.RenewAsync(_http, body, _closing.Token))
            {
                case CredentialRenewal.Renewed:
                    _expiry.Set(ConnectionExpiry.Of(_http.User));
                    Send("""{"type":"pong"}"""); // the token is not echoed back
                    return;
                case CredentialRenewal.Refused:
                    await CloseAsync(4403, "Forbidden");
                    return;
            }
        }

        Send(payload is { } ping ? $$"""{"type":"pong","payload":{{ping.GetRawText()}}}""" : """{"type":"pong"}""");
    }

    private static string? StringProperty(JsonElement request, string name) =>
        request.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task RunOperationAsync(Operation operation, JsonElement request)
    {
        try
        {
            var outcome = await _pipeline.ExecuteAsync(
                new OperationRequest("websocket", _http.User, _http.Connection.RemoteIpAddress, operation.Scope.ServiceProvider, SafeMethod: false, StreamsAllowed: true),
                () => ValueTask.FromResult(_reader.FromSubscribePayload(request)),
                operation.Cancellation.Token);
            if (outcome is OperationRefused refused)
            {
                // Refused before execution (rate, limits, unreadable request) or timed out: the operation ends, the socket stays.
                var error = new JsonArray(new JsonObject { ["message"] = refused.Message, ["extensions"] = new JsonObject { ["code"] = refused.Code } });
                Send(Message(operation.Id, "error", error.ToJsonString()));
                StopOperation(operation.Id);
                return;
            }

            var result = ((OperationExecuted)outcome).Result;
            if (!result.Executed)
            {
                // Never ran (syntax, validation, variables): the protocol's error message ends the operation.
                Send(Message(operation.Id, "error", ErrorsOf(result)));
                StopOperation(operation.Id);
            }
            else if (result.Streams is { Count: > 0 } streams)
            {
                operation.Subscription = streams.Values.First().Subscribe(new StreamObserver(this, operation.Id));
            }
            else
            {
                Send(Message(operation.Id, "next", _serializer.Serialize(result)));
                Send(Message(operation.Id, "complete", null));
                StopOperation(operation.Id);
            }
        }
        catch (OperationCanceledException)
        {
            StopOperation(operation.Id);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogOperationFailed(_logger, operation.Id, e);
            Send(Message(operation.Id, "error", """[{"message":"The operation failed."}]"""));
            StopOperation(operation.Id);
        }
    }

    private string ErrorsOf(ExecutionResult result) =>
        JsonNode.Parse(_serializer.Serialize(result))?["errors"]?.ToJsonString() ?? "[]";

    private static string Message(string id, string type, string? payload) =>
        payload is null
            ? $$"""{"id":{{JsonSerializer.Serialize(id)}},"type":"{{type}}"}"""
            : $$"""{"id":{{JsonSerializer.Serialize(id)}},"type":"{{type}}","payload":{{payload}}}""";

    /// <summary>Queues a message; a full queue means the client is not reading: it is cut off, nobody else waits.</summary>
    private void Send(string message)
    {
        if (!_outbox.Writer.TryWrite(message) && Interlocked.Exchange(ref _closed, 1) == 0)
        {
            // No close handshake is possible with a client that does not read: drop the connection itself.
            LogSlowClient(_logger, _options.SendQueueLength);
            _outbox.Writer.TryComplete();
            _closing.Cancel();
            _http.Abort();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var message in _outbox.Reader.ReadAllAsync(_closing.Token))
            {
                await _sendLock.WaitAsync(_closing.Token);
                try
                {
                    await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, _closing.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // closing
        }
    }

    private async Task CloseUnlessInitialisedAsync()
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(_options.ConnectionInitWaitTimeoutSeconds), _closing.Token);
            if (!_initReceived)
            {
                await CloseAsync(4408, "Connection initialisation timeout");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>When the credentials expire (and are not renewed in time): 4403, which ends every operation and subscription.</summary>
    private async Task CloseWhenExpiredAsync()
    {
        try
        {
            await _expiry.WaitAsync(_closing.Token);
            await CloseAsync(4403, "Forbidden");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void StopOperation(string id)
    {
        Operation? operation;
        lock (_gate)
        {
            _operations.Remove(id, out operation);
        }

        operation?.Dispose();
    }

    private void StopAllOperations()
    {
        List<Operation> operations;
        lock (_gate)
        {
            operations = [.. _operations.Values];
            _operations.Clear();
        }

        foreach (var operation in operations)
        {
            operation.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing a WebSocket client that does not read: {Limit} messages queued")]
    private static partial void LogSlowClient(ILogger logger, int limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "WebSocket operation {Id} failed")]
    private static partial void LogOperationFailed(ILogger logger, string id, Exception exception);

    /// <summary>One running operation: its scope (its own DataLoaders), its cancellation, its stream subscription.</summary>
    private sealed class Operation(string id, AsyncServiceScope scope, CancellationToken connection) : IDisposable
    {
        public string Id { get; } = id;

        public AsyncServiceScope Scope { get; } = scope;

        public CancellationTokenSource Cancellation { get; } = CancellationTokenSource.CreateLinkedTokenSource(connection);

        public IDisposable? Subscription { get; set; }

        /// <summary>Whether it counts against the socket's subscription cap (decided when it was admitted).</summary>
        public bool IsSubscription { get; init; }

        public void Dispose()
        {
            Subscription?.Dispose();
            Cancellation.Cancel();
            Cancellation.Dispose();
            // Scoped services here are disposed synchronously; the scope holds no async-only resources.
            ((IDisposable)Scope).Dispose();
        }
    }

    private sealed class StreamObserver(GraphQLWebSocketConnection connection, string id) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            // Between the expiry and the close (a timer's resolution): nothing more is delivered.
            if (connection._expiry.Expired)
            {
                _ = connection.CloseAsync(4403, "Forbidden");
                return;
            }

            connection.Send(Message(id, "next", connection._serializer.Serialize(value)));
        }

        public void OnError(Exception error)
        {
            connection.Send(Message(id, "error", """[{"message":"The subscription failed."}]"""));
            connection.StopOperation(id);
        }

        public void OnCompleted()
        {
            connection.Send(Message(id, "complete", null));
            connection.StopOperation(id);
        }
    }
}

using System.Text.Json;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.Streaming;
using static Scheduling.Gateway.GraphQLWebSockets.OperationMessage;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>How the protocol runs the request of a <c>subscribe</c>: read and parsed once (for the admission and the execution), then run.</summary>
internal interface ISocketOperationRunner
{
    (ParsedRequest? Request, GraphQLRequestError? Error) Read(JsonElement payload);

    /// <summary>Runs the operation, its results to <paramref name="sink"/>; what to dispose to stop it while it runs (null when it has ended).</summary>
    Task<IDisposable?> RunAsync((ParsedRequest? Request, GraphQLRequestError? Error) request, IOperationSink sink, ConnectionExpiry expiry, CancellationToken aborted);
}

/// <summary>
/// The graphql-transport-ws protocol's state machine for one connection (graphql-dotnet/server's SubscriptionServer
/// role), over any <see cref="IMessageChannel"/>: init and ack (within the init timeout), ping/pong (a ping may renew
/// the credentials), subscribe (admitted under the per-socket caps, run by the <see cref="ISocketOperationRunner"/>),
/// complete, and the protocol's close codes; the connection closes with 4403 when its credentials expire.
/// </summary>
internal sealed partial class GraphQLTransportWsServer(
    IMessageChannel channel, HttpContext http, IWebSocketConnectionInitHandler initHandler, ISocketOperationRunner runner,
    GraphQLWebSocketOptions options, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly SocketOperations _operations = new(options);
    private readonly ConnectionExpiry _expiry = new(time);
    private bool _initReceived;
    private volatile bool _acknowledged;

    private IMessageChannel Channel => channel;

    public int OperationCount => _operations.Count;

    /// <summary>The connection's timers (init timeout, keep-alive pings, credential expiry), until it closes.</summary>
    public Task RunTimersAsync() => Task.WhenAll(
        CloseUnlessInitialisedAsync(),
        Heartbeat.RunAsync(options.KeepAliveSeconds, () =>
        {
            if (_acknowledged)
            {
                channel.Send(new Ping(null).Format());
            }
        }, channel.Closing),
        CloseWhenExpiredAsync());

    /// <summary>One text message from the client.</summary>
    public async Task ReceiveAsync(string text)
    {
        try
        {
            await DispatchAsync(OperationMessage.Parse(text));
        }
        catch (InvalidOperationException)
        {
            // A string .NET cannot decode (a lone UTF-16 surrogate) where the init handler reads the credentials.
            await channel.CloseAsync(4400, "Invalid message received");
        }
    }

    public void Dispose()
    {
        _operations.StopAll();
        _expiry.Dispose();
    }

    private async Task DispatchAsync(OperationMessage? message)
    {
        switch (message)
        {
            case ConnectionInit init:
                await OnConnectionInitAsync(init.Payload);
                break;
            case Ping ping:
                await OnPingAsync(ping.Payload);
                break;
            case Pong:
                break;
            case Subscribe subscribe:
                await OnSubscribeAsync(subscribe);
                break;
            case Complete complete:
                _operations.Stop(complete.Id);
                break;
            default:
                await channel.CloseAsync(4400, "Invalid message received");
                break;
        }
    }

    private async Task OnConnectionInitAsync(JsonElement? payload)
    {
        if (_initReceived)
        {
            await channel.CloseAsync(4429, "Too many initialisation requests");
            return;
        }

        _initReceived = true;
        if (!await initHandler.AcceptAsync(http, payload, channel.Closing))
        {
            await channel.CloseAsync(4403, "Forbidden");
            return;
        }

        // Accepted credentials run out when their token does (accepted within the validator's clock skew: already).
        _expiry.Set(ConnectionExpiry.Of(http.User));
        if (_expiry.Expired)
        {
            await channel.CloseAsync(4403, "Forbidden");
            return;
        }

        _acknowledged = true;
        channel.Send(new ConnectionAck().Format());
    }

    /// <summary>A ping is answered with a pong; on an acknowledged connection its payload may renew the credentials first.</summary>
    private async Task OnPingAsync(JsonElement? payload)
    {
        if (_acknowledged && payload is { ValueKind: JsonValueKind.Object } body)
        {
            switch (await initHandler.RenewAsync(http, body, channel.Closing))
            {
                case CredentialRenewal.Renewed:
                    _expiry.Set(ConnectionExpiry.Of(http.User));
                    channel.Send(new Pong(null).Format()); // the token is not echoed back
                    return;
                case CredentialRenewal.Refused:
                    await channel.CloseAsync(4403, "Forbidden");
                    return;
            }
        }

        channel.Send(new Pong(payload).Format());
    }

    private async Task OnSubscribeAsync(Subscribe subscribe)
    {
        if (!_acknowledged)
        {
            await channel.CloseAsync(4401, "Unauthorized");
            return;
        }

        if (_expiry.Expired)
        {
            await channel.CloseAsync(4403, "Forbidden");
            return;
        }

        // Read and parsed once: the admission needs to know whether it is a subscription, the pipeline gets the same.
        var request = runner.Read(subscribe.Payload);
        var admission = _operations.Admit(subscribe.Id, request.Request?.IsSubscription == true, channel.Closing);
        switch (admission)
        {
            case SocketOperations.Duplicate:
                await channel.CloseAsync(4409, $"Subscriber for {subscribe.Id} already exists");
                return;
            case SocketOperations.Refused(var code, var message):
                // Over a cap: this operation is refused; the socket and the others carry on.
                channel.Send(new Error(subscribe.Id, StreamingOperations.Errors(code, message)).Format());
                return;
            case SocketOperations.Admitted(var operation):
                _ = RunOperationAsync(operation, request);
                return;
        }
    }

    private async Task RunOperationAsync(SocketOperations.Operation operation, (ParsedRequest?, GraphQLRequestError?) request)
    {
        var sink = new OperationSink(this, operation);
        try
        {
            operation.Attach(await runner.RunAsync(request, sink, _expiry, operation.Cancellation));
        }
        catch (OperationCanceledException)
        {
            _operations.Stop(operation.Id);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogOperationFailed(logger, operation.Id, e);
            sink.Error("""[{"message":"The operation failed."}]""");
        }
    }

    private async Task CloseUnlessInitialisedAsync()
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(options.ConnectionInitWaitTimeoutSeconds), time, channel.Closing);
            if (!_initReceived)
            {
                await channel.CloseAsync(4408, "Connection initialisation timeout");
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
            await _expiry.WaitAsync(channel.Closing);
            await channel.CloseAsync(4403, "Forbidden");
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "WebSocket operation {Id} failed")]
    private static partial void LogOperationFailed(ILogger logger, string id, Exception exception);

    /// <summary>One operation's results as protocol messages; nothing more once it has ended (or the client completed it).</summary>
    private sealed class OperationSink(GraphQLTransportWsServer server, SocketOperations.Operation operation) : IOperationSink
    {
        private byte[]? _nextHead;

        public ValueTask StartAsync(OperationOutcome outcome) => ValueTask.CompletedTask;

        public void Next(SerializedResult result)
        {
            if (!operation.Stopped)
            {
                // The result's bytes as they are (for a group's event, the same for every member), behind this operation's own head.
                server.Channel.Send(OperationMessage.Next.Frame(_nextHead ??= OperationMessage.Next.Head(operation.Id), result.Utf8));
            }
        }

        public void Error(string errors) => End(new Error(operation.Id, errors));

        public void Complete() => End(new Complete(operation.Id));

        public void Expired() => _ = server.Channel.CloseAsync(4403, "Forbidden");

        private void End(OperationMessage last)
        {
            if (server._operations.Stop(operation.Id, operation))
            {
                server.Channel.Send(last.Format());
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using GraphQL.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Gateway.Streaming;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// The graphql-transport-ws state machine on its own, without sockets, a server or a schema: messages in as text, what
/// it sends and the close code out, operations run by a stand-in, time moved by hand. The same rules against a real
/// socket and client: <see cref="GraphQLTransportWsProtocolTests"/>, <see cref="SocketLimitsTests"/>.
/// </summary>
public sealed class GraphQLTransportWsServerTests : IDisposable
{
    private const string Init = """{"type":"connection_init"}""";
    private const string Subscription = "subscription { slotsChanged(scheduleIds: [\"s\"]) { slotId } }";

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly Channel _channel = new();
    private readonly Runner _runner = new();
    private readonly GraphQLTransportWsServer _server;
    private readonly Task _timers;

    public GraphQLTransportWsServerTests()
    {
        var options = new GraphQLWebSocketOptions { KeepAliveSeconds = 0, ConnectionInitWaitTimeoutSeconds = 10, MaxOperationsPerSocket = 3, MaxSubscriptionsPerSocket = 2 };
        _server = new GraphQLTransportWsServer(_channel, new DefaultHttpContext(), new InitHandler(_clock), _runner, options, _clock, NullLogger.Instance);
        _timers = _server.RunTimersAsync();
    }

    public void Dispose()
    {
        _ = _channel.CloseAsync(1000, "done");
        _timers.Wait(TimeSpan.FromSeconds(5));
        _server.Dispose();
    }

    [Theory]
    [InlineData(4400, "not json")]
    [InlineData(4400, """["connection_init"]""")]
    [InlineData(4400, """{"type":"no-such-type"}""")]
    [InlineData(4400, """{"type":"connection_init","payload":"token"}""")]
    [InlineData(4400, """{"type":"complete"}""")]
    [InlineData(4400, """{"id":"","type":"subscribe","payload":{"query":"{ a }"}}""")]
    [InlineData(4400, """{"id":"1","type":"subscribe","payload":{"variables":{}}}""")]
    [InlineData(4400, "{\"id\":\"\\ud800\",\"type\":\"complete\"}")]
    [InlineData(4400, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"\\ud800\"}}")]
    [InlineData(4401, """{"id":"1","type":"subscribe","payload":{"query":"{ a }"}}""")]
    [InlineData(4403, """{"type":"connection_init","payload":{"refuse":true}}""")]
    public async Task A_message_the_protocol_does_not_allow_closes_with_its_code(int code, string message)
    {
        await _server.ReceiveAsync(message);
        Assert.Equal(code, _channel.CloseCode);
        Assert.Empty(_channel.Sent);
    }

    [Fact]
    public async Task Init_is_acknowledged_once_and_a_second_one_closes_with_4429()
    {
        await _server.ReceiveAsync(Init);
        Assert.Equal("connection_ack", Assert.Single(_channel.Sent)["type"]!.GetValue<string>());
        await _server.ReceiveAsync(Init);
        Assert.Equal(4429, _channel.CloseCode);
    }

    [Fact]
    public async Task No_init_within_the_timeout_closes_with_4408()
    {
        _clock.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(50);
        Assert.Null(_channel.CloseCode);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await _channel.ClosedAsync();
        Assert.Equal(4408, _channel.CloseCode);
    }

    [Fact]
    public async Task A_ping_gets_a_pong_with_its_payload_and_renewal_is_the_init_handlers_call()
    {
        await _server.ReceiveAsync("""{"type":"ping","payload":{"n":1}}""");
        await _server.ReceiveAsync(Init);
        await _server.ReceiveAsync("""{"type":"pong"}""");
        await _server.ReceiveAsync("""{"type":"ping","payload":{"renew":true}}""");
        Assert.Equal(["""{"type":"pong","payload":{"n":1}}""", """{"type":"connection_ack"}""", """{"type":"pong"}"""], _channel.Sent.Select(m => m.ToJsonString()));
        await _server.ReceiveAsync("""{"type":"ping","payload":{"refuse":true}}""");
        Assert.Equal(4403, _channel.CloseCode);
    }

    [Fact]
    public async Task A_query_is_one_next_and_complete_and_its_id_is_free_again()
    {
        await _server.ReceiveAsync(Init);
        for (var i = 0; i < 2; i++)
        {
            await _server.ReceiveAsync("""{"id":"q","type":"subscribe","payload":{"query":"{ a }"}}""");
            await _channel.UntilSentAsync(3 + (2 * i));
        }

        Assert.Equal(
            ["connection_ack", "next", "complete", "next", "complete"],
            _channel.Sent.Select(m => m["type"]!.GetValue<string>()));
        Assert.Equal("""{"data":{"a":1}}""", _channel.Sent[1]["payload"]!.ToJsonString());
        Assert.Equal(0, _server.OperationCount);
        Assert.Null(_channel.CloseCode);
    }

    [Fact]
    public async Task A_subscription_delivers_until_the_client_completes_it_and_nothing_after()
    {
        await _server.ReceiveAsync(Init);
        await _server.ReceiveAsync(SubscribeMessage("s"));
        var running = await _runner.RunningAsync(0);
        running.Sink.Next("""{"data":{"n":1}}""");
        await _server.ReceiveAsync(SubscribeMessage("s"));
        Assert.Equal(4409, _channel.CloseCode);
        Assert.Equal(["connection_ack", "next"], _channel.Sent.Select(m => m["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Completing_a_subscription_stops_it_and_later_results_are_dropped()
    {
        await _server.ReceiveAsync(Init);
        await _server.ReceiveAsync(SubscribeMessage("s"));
        var running = await _runner.RunningAsync(0);
        await _server.ReceiveAsync("""{"id":"s","type":"complete"}""");
        Assert.True(running.Stopped);
        running.Sink.Next("""{"data":{"n":1}}""");
        running.Sink.Complete();
        Assert.Equal(["connection_ack"], _channel.Sent.Select(m => m["type"]!.GetValue<string>()));
        Assert.Equal(0, _server.OperationCount);
    }

    [Fact]
    public async Task Over_a_cap_the_operation_gets_a_coded_error_and_the_socket_carries_on()
    {
        await _server.ReceiveAsync(Init);
        await _server.ReceiveAsync(SubscribeMessage("s1"));
        await _server.ReceiveAsync(SubscribeMessage("s2"));
        await _server.ReceiveAsync(SubscribeMessage("s3"));
        var refused = _channel.Sent[^1];
        Assert.Equal("error", refused["type"]!.GetValue<string>());
        Assert.Equal("s3", refused["id"]!.GetValue<string>());
        Assert.Equal(OperationAdmission.TooManySubscriptions, refused.At("payload.0.extensions.code")!.GetValue<string>());

        // The third operation may be a query; a fourth is over the operations cap.
        (await _runner.RunningAsync(0)).Sink.Next("{}");
        await _server.ReceiveAsync("""{"id":"q","type":"subscribe","payload":{"query":"{ slow }"}}""");
        await _runner.RunningAsync(2);
        await _server.ReceiveAsync("""{"id":"q2","type":"subscribe","payload":{"query":"{ a }"}}""");
        Assert.Equal(OperationAdmission.TooManyOperations, _channel.Sent[^1].At("payload.0.extensions.code")!.GetValue<string>());
        Assert.Null(_channel.CloseCode);
        Assert.Equal(3, _server.OperationCount);
    }

    [Fact]
    public async Task The_socket_closes_with_4403_when_its_token_expires_and_a_renewal_moves_it()
    {
        await _server.ReceiveAsync("""{"type":"connection_init","payload":{"expiresIn":60}}""");
        await _server.ReceiveAsync(SubscribeMessage("s"));
        var running = await _runner.RunningAsync(0);
        _clock.Advance(TimeSpan.FromSeconds(50));
        await _server.ReceiveAsync("""{"type":"ping","payload":{"renew":true,"expiresIn":60}}""");
        _clock.Advance(TimeSpan.FromSeconds(50));
        await Task.Delay(50);
        Assert.Null(_channel.CloseCode);
        _clock.Advance(TimeSpan.FromSeconds(10));
        await _channel.ClosedAsync();
        Assert.Equal(4403, _channel.CloseCode);
        _server.Dispose();
        Assert.True(running.Stopped);
    }

    [Fact]
    public async Task An_operation_that_throws_ends_with_an_error_and_the_socket_carries_on()
    {
        await _server.ReceiveAsync(Init);
        await _server.ReceiveAsync("""{"id":"x","type":"subscribe","payload":{"query":"{ throws }"}}""");
        await _channel.UntilSentAsync(2);
        Assert.Equal("""{"id":"x","type":"error","payload":[{"message":"The operation failed."}]}""", _channel.Sent[1].ToJsonString());
        Assert.Null(_channel.CloseCode);
    }

    private static string SubscribeMessage(string id) => JsonSerializer.Serialize(new { id, type = "subscribe", payload = new { query = Subscription } });

    /// <summary>Records what the server sends and how it closes.</summary>
    private sealed class Channel : IMessageChannel
    {
        private readonly CancellationTokenSource _closing = new();
        private readonly ConcurrentQueue<JsonObject> _sent = new();
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationToken Closing => _closing.Token;

        public IReadOnlyList<JsonObject> Sent => [.. _sent];

        public int? CloseCode { get; private set; }

        public void Send(string message)
        {
            if (!_closing.IsCancellationRequested)
            {
                _sent.Enqueue(JsonNode.Parse(message)!.AsObject());
            }
        }

        public Task CloseAsync(int code, string reason)
        {
            if (CloseCode is null)
            {
                CloseCode = code;
                _closing.Cancel();
                _closed.TrySetResult();
            }

            return Task.CompletedTask;
        }

        public Task ClosedAsync() => _closed.Task.WaitAsync(TimeSpan.FromSeconds(5));

        public async Task UntilSentAsync(int count)
        {
            for (var i = 0; i < 500 && _sent.Count < count; i++)
            {
                await Task.Delay(10);
            }
        }
    }

    /// <summary>Accepts an init unless its payload says refuse (reading its token if it has one); <c>expiresIn</c> gives the caller a token that expires then.</summary>
    private sealed class InitHandler(TimeProvider clock) : IWebSocketConnectionInitHandler
    {
        public ValueTask<bool> AcceptAsync(HttpContext context, JsonElement? payload, CancellationToken cancellationToken)
        {
            // Reading a token .NET cannot decode throws, as the bearer handler's reading does.
            _ = payload is { } body && body.TryGetProperty("token", out var token) ? token.GetString() : null;
            context.User = Caller(payload);
            return ValueTask.FromResult(payload is not { } p || !p.TryGetProperty("refuse", out _));
        }

        public ValueTask<CredentialRenewal> RenewAsync(HttpContext context, JsonElement payload, CancellationToken cancellationToken)
        {
            if (payload.TryGetProperty("refuse", out _))
            {
                return ValueTask.FromResult(CredentialRenewal.Refused);
            }

            if (!payload.TryGetProperty("renew", out _))
            {
                return ValueTask.FromResult(CredentialRenewal.None);
            }

            context.User = Caller(payload);
            return ValueTask.FromResult(CredentialRenewal.Renewed);
        }

        private ClaimsPrincipal Caller(JsonElement? payload) =>
            payload is { } p && p.TryGetProperty("expiresIn", out var seconds)
                ? new ClaimsPrincipal(new ClaimsIdentity([new Claim("exp", clock.GetUtcNow().AddSeconds(seconds.GetInt32()).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))], "test"))
                : new ClaimsPrincipal(new ClaimsIdentity());
    }

    /// <summary>
    /// Stands in for the pipeline: <c>{ a }</c> answers at once, <c>{ throws }</c> throws, anything else runs until
    /// stopped, its sink kept (by the order they started) for the test to drive.
    /// </summary>
    private sealed class Runner : ISocketOperationRunner
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource<Running>> _running = new();
        private int _started;

        public (ParsedRequest? Request, GraphQLRequestError? Error) Read(JsonElement payload)
        {
            var query = payload.GetProperty("query").GetString()!;
            var document = GraphQLExecutionPipeline.TryParse(query)!;
            return (new ParsedRequest(new GraphQLRequest { Query = query }, document, GraphQLExecutionPipeline.SelectOperation(document, null)), null);
        }

        public Task<IDisposable?> RunAsync((ParsedRequest? Request, GraphQLRequestError? Error) request, IOperationSink sink, ConnectionExpiry expiry, CancellationToken aborted)
        {
            switch (request.Request!.Request.Query)
            {
                case "{ a }":
                    sink.Next("""{"data":{"a":1}}""");
                    sink.Complete();
                    return Task.FromResult<IDisposable?>(null);
                case "{ throws }":
                    throw new InvalidOperationException("boom");
            }

            var running = new Running(sink);
            _running.GetOrAdd(Interlocked.Increment(ref _started) - 1, _ => new()).TrySetResult(running);
            return Task.FromResult<IDisposable?>(running);
        }

        /// <summary>The <paramref name="index"/>th operation that kept running (0 the first).</summary>
        public Task<Running> RunningAsync(int index) => _running.GetOrAdd(index, _ => new()).Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private sealed class Running(IOperationSink sink) : IDisposable
    {
        public IOperationSink Sink { get; } = sink;

        public bool Stopped { get; private set; }

        public void Dispose() => Stopped = true;
    }
}

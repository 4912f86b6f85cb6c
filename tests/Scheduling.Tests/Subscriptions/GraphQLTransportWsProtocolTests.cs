using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>The graphql-transport-ws protocol on the wire, each close code provoked by a raw WebSocket.</summary>
public sealed class GraphQLTransportWsProtocolTests : IAsyncLifetime
{
    private GatewayServer _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayServer.StartAsync(
        new Dictionary<string, string?> { ["WebSockets:ConnectionInitWaitTimeoutSeconds"] = "2", ["WebSockets:KeepAliveSeconds"] = "1" },
        services => services.AddSingleton<IWebSocketConnectionInitHandler, RefuseBadTokens>());

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Theory]
    [InlineData(4400, "not json at all")]
    [InlineData(4400, """{"type":"no-such-type"}""")]
    [InlineData(4400, """{"id":1,"payload":{}}""")]
    [InlineData(4401, """{"id":"1","type":"subscribe","payload":{"query":"{ __typename }"}}""")]
    public async Task Bad_messages_and_subscribing_before_the_ack_close_the_socket(int code, string message)
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, message);
        Assert.Equal(code, await CloseCodeAsync(socket));
    }

    [Fact]
    public async Task A_refused_connection_init_closes_with_4403()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, """{"type":"connection_init","payload":{"token":"bad"}}""");
        Assert.Equal(4403, await CloseCodeAsync(socket));
    }

    [Fact]
    public async Task A_client_asking_for_another_subprotocol_is_closed_with_4406()
    {
        using var socket = await ConnectAsync("graphql-ws");
        Assert.Equal(4406, await CloseCodeAsync(socket));
    }

    [Fact]
    public async Task No_connection_init_within_the_timeout_closes_with_4408()
    {
        using var socket = await ConnectAsync();
        Assert.Equal(4408, await CloseCodeAsync(socket, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_second_subscribe_with_an_id_in_use_closes_with_4409()
    {
        using var socket = await ConnectAndInitAsync();
        const string subscribe = """{"id":"same","type":"subscribe","payload":{"query":"subscription { slotsChanged(scheduleIds: [\"x\"]) { slotId } }"}}""";
        await SendAsync(socket, subscribe);
        await SendAsync(socket, subscribe);
        Assert.Equal(4409, await CloseCodeAsync(socket));
    }

    [Fact]
    public async Task A_second_connection_init_closes_with_4429()
    {
        using var socket = await ConnectAndInitAsync();
        await SendAsync(socket, """{"type":"connection_init"}""");
        Assert.Equal(4429, await CloseCodeAsync(socket));
    }

    [Fact]
    public async Task Ping_pong_keep_alive_queries_errors_and_completing_a_subscription()
    {
        using var socket = await ConnectAndInitAsync();
        await SendAsync(socket, """{"type":"ping","payload":{"n":1}}""");
        Assert.Equal("""{"type":"pong","payload":{"n":1}}""", await ReceiveUntilAsync(socket, m => m.Contains("\"pong\"", StringComparison.Ordinal)));

        // The server pings acknowledged clients (every second here).
        Assert.Equal("""{"type":"ping"}""", await ReceiveUntilAsync(socket, m => m == """{"type":"ping"}"""));

        await SendAsync(socket, """{"id":"q","type":"subscribe","payload":{"query":"{ practitioner(id: \"alice-smith\") { displayName } }"}}""");
        var next = JsonDocument.Parse(await ReceiveUntilAsync(socket, m => m.Contains("\"next\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("Dr. Alice Smith", next.GetProperty("payload").GetProperty("data").GetProperty("practitioner").GetProperty("displayName").GetString());
        Assert.Equal("""{"id":"q","type":"complete"}""", await ReceiveUntilAsync(socket, m => m.Contains("\"complete\"", StringComparison.Ordinal)));

        // The same limits as over HTTP: 300 aliased searches are refused before anything runs.
        var bomb = JsonSerializer.Serialize(new { id = "bomb", type = "subscribe", payload = new { query = "{ " + string.Join(' ', Enumerable.Range(0, 300).Select(i => $"a{i}: slots {{ totalCount }}")) + " }" } });
        await SendAsync(socket, bomb);
        var refused = JsonDocument.Parse(await ReceiveUntilAsync(socket, m => m.Contains("\"bomb\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("error", refused.GetProperty("type").GetString());
        Assert.Equal("TOO_MANY_FHIR_SEARCHES", refused.GetProperty("payload")[0].GetProperty("extensions").GetProperty("code").GetString());

        await SendAsync(socket, """{"id":"bad","type":"subscribe","payload":{"query":"{ noSuchField }"}}""");
        var error = JsonDocument.Parse(await ReceiveUntilAsync(socket, m => m.Contains("\"error\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal("bad", error.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Array, error.GetProperty("payload").ValueKind);

        var before = _gateway.Subscribers();
        await SendAsync(socket, """{"id":"s","type":"subscribe","payload":{"query":"subscription { slotsChanged(scheduleIds: [\"x\"]) { slotId } }"}}""");
        await _gateway.UntilSubscribedAsync(before);
        await SendAsync(socket, """{"id":"s","type":"complete"}""");
        await _gateway.UntilUnsubscribedAsync(before);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    private Task<ClientWebSocket> ConnectAsync(string subProtocol = GraphQLWebSocketEndpoint.SubProtocol) => RawSocket.ConnectAsync(_gateway, subProtocol);

    private Task<ClientWebSocket> ConnectAndInitAsync() => RawSocket.ConnectAndInitAsync(_gateway, """{"token":"good"}""");

    private static Task SendAsync(ClientWebSocket socket, string text) => socket.SendTextAsync(text);

    private static Task<string> ReceiveUntilAsync(ClientWebSocket socket, Func<string, bool> wanted) => socket.ReceiveUntilAsync(wanted);

    private static Task<int> CloseCodeAsync(ClientWebSocket socket, TimeSpan? wait = null) => socket.CloseCodeAsync(wait);

    /// <summary>An init handler as authentication would be: refuses a bad token.</summary>
    private sealed class RefuseBadTokens : IWebSocketConnectionInitHandler
    {
        public ValueTask<bool> AcceptAsync(HttpContext context, JsonElement? payload, CancellationToken cancellationToken) =>
            ValueTask.FromResult(payload is not { } p || !p.TryGetProperty("token", out var token) || token.GetString() != "bad");
    }
}

using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Testing;

namespace Scheduling.Tests.Http;

/// <summary>
/// Valid JSON with text .NET cannot hold (a lone UTF-16 surrogate, <c>"\ud800"</c>) wherever a client's JSON is
/// converted: a coded 400 over HTTP, a coded error message on the socket (which stays open), never a 500.
/// </summary>
public sealed class UntrustedJsonTests : IAsyncLifetime
{
    private GatewayServer _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayServer.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Theory]
    [InlineData("""{"query":"query($v: String) { __typename }","variables":{"v":"\ud800"}}""")]
    [InlineData("""{"query":"query($v: String) { __typename }","variables":{"\udc00":"x"}}""")]
    [InlineData("""{"query":"{ __typename }","extensions":{"persistedQuery":{"sha256Hash":"\ud800"}}}""")]
    [InlineData("""{"query":"{ __typename }","extensions":{"x":["a",{"b":"\udfff"}]}}""")]
    [InlineData("""{"query":"{ __typename }","operationName":"\ud800"}""")]
    public async Task A_lone_surrogate_in_a_POST_body_is_a_coded_400(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _gateway.Client.PostAsync("/graphql", content);
        await AssertInvalidUnicodeAsync(response);
    }

    [Theory]
    [InlineData("variables")]
    [InlineData("extensions")]
    public async Task A_lone_surrogate_in_a_GET_parameter_is_a_coded_400(string parameter)
    {
        using var response = await _gateway.Client.GetAsync($"/graphql?query={Uri.EscapeDataString("{ __typename }")}&{parameter}={Uri.EscapeDataString("{\"v\":\"\\ud800\"}")}");
        await AssertInvalidUnicodeAsync(response);
    }

    [Theory]
    [InlineData("variables")]
    [InlineData("extensions")]
    public async Task A_lone_surrogate_in_a_subscribe_payload_is_an_error_message_and_the_socket_stays_open(string member)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(GraphQLWebSocketEndpoint.SubProtocol);
        await socket.ConnectAsync(new UriBuilder(_gateway.GraphQLUrl) { Scheme = "ws" }.Uri, CancellationToken.None);
        await SendAsync(socket, """{"type":"connection_init"}""");
        Assert.Contains("connection_ack", await ReceiveAsync(socket), StringComparison.Ordinal);

        await SendAsync(socket, "{\"id\":\"bad\",\"type\":\"subscribe\",\"payload\":{\"query\":\"query($v: String) { __typename }\",\"" + member + "\":{\"v\":\"\\ud800\"}}}");
        var error = JsonNode.Parse(await ReceiveAsync(socket))!;
        Assert.Equal("error", error["type"]?.GetValue<string>());
        Assert.Equal("bad", error["id"]?.GetValue<string>());
        Assert.Equal("REQUEST_INVALID_UNICODE", error.At("payload.0.extensions.code")?.GetValue<string>());

        await SendAsync(socket, """{"id":"good","type":"subscribe","payload":{"query":"{ __typename }"}}""");
        var next = JsonNode.Parse(await ReceiveAsync(socket))!;
        Assert.Equal("Query", next.At("payload.data.__typename")?.GetValue<string>());
    }

    [Fact]
    public async Task A_lone_surrogate_elsewhere_in_a_socket_message_closes_it_as_invalid()
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(GraphQLWebSocketEndpoint.SubProtocol);
        await socket.ConnectAsync(new UriBuilder(_gateway.GraphQLUrl) { Scheme = "ws" }.Uri, CancellationToken.None);
        await SendAsync(socket, """{"type":"connection_init","payload":{"token":"\ud800"}}""");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = await socket.ReceiveAsync(new byte[4096], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        Assert.Equal(4400, (int)socket.CloseStatus!.Value);
    }

    private static async Task AssertInvalidUnicodeAsync(HttpResponseMessage response)
    {
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("REQUEST_INVALID_UNICODE", answer.At("errors.0.extensions.code")?.GetValue<string>());
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}

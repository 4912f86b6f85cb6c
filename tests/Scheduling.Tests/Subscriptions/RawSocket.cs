using System.Net.WebSockets;
using System.Text;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>A raw graphql-transport-ws client for exact messages and close codes (the graphql-ws client hides some).</summary>
public static class RawSocket
{
    /// <param name="headers">Headers on the upgrade request (an Authorization a non-browser client may send there).</param>
    public static async Task<ClientWebSocket> ConnectAsync(GatewayServer gateway, string subProtocol = GraphQLWebSocketEndpoint.SubProtocol, IDictionary<string, string>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(subProtocol);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            socket.Options.SetRequestHeader(name, value);
        }

        await socket.ConnectAsync(new UriBuilder(gateway.GraphQLUrl) { Scheme = "ws" }.Uri, CancellationToken.None);
        return socket;
    }

    /// <summary>Connects and sends connection_init (with this payload, if any), expecting the ack.</summary>
    public static async Task<ClientWebSocket> ConnectAndInitAsync(GatewayServer gateway, string? payload = null, IDictionary<string, string>? headers = null)
    {
        var socket = await ConnectAsync(gateway, headers: headers);
        await socket.SendTextAsync(payload is null ? """{"type":"connection_init"}""" : $$"""{"type":"connection_init","payload":{{payload}}}""");
        Assert.Equal("""{"type":"connection_ack"}""", await socket.ReceiveUntilAsync(_ => true));
        return socket;
    }

    public static Task SendTextAsync(this ClientWebSocket socket, string text)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
    }

    /// <summary>The next message <paramref name="wanted"/> accepts (others are skipped); fails on a close.</summary>
    public static async Task<string> ReceiveUntilAsync(this ClientWebSocket socket, Func<string, bool> wanted)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(wanted);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.True(received.MessageType != WebSocketMessageType.Close, $"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
            var text = Encoding.UTF8.GetString(buffer, 0, received.Count);
            if (wanted(text))
            {
                return text;
            }
        }
    }

    /// <summary>The close code the server ends with, skipping other messages.</summary>
    public static async Task<int> CloseCodeAsync(this ClientWebSocket socket, TimeSpan? wait = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(5));
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return (int)socket.CloseStatus!.Value;
            }
        }
    }
}

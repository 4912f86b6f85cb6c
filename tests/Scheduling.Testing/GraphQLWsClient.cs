using System.Text.Json;

namespace Scheduling.Testing;

/// <summary>The reference graphql-ws client (npm) subscribed to a gateway, one JSON line per message it gets.</summary>
public sealed class GraphQLWsClient : IAsyncDisposable
{
    private readonly NodeProcess _node;

    private GraphQLWsClient(NodeProcess node) => _node = node;

    /// <summary>Connects and subscribes; returns once the client reports the connection acknowledged.</summary>
    /// <param name="query">The document, or null with <paramref name="documentId"/> for a persisted one.</param>
    /// <param name="renewals">Tokens the client sends in a ping's payload (<c>{"Authorization": "Bearer …"}</c>), each this long after the ack.</param>
    /// <param name="extensions">The subscribe request's extensions (e.g. <c>{ lastEventId }</c> to resume).</param>
    public static async Task<GraphQLWsClient> SubscribeAsync(Uri gateway, string? query, object? variables = null, int count = 1, int timeoutMs = 20000, object? connectionParams = null, string? documentId = null,
        IReadOnlyList<(TimeSpan After, string Token)>? renewals = null, object? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var url = new UriBuilder(gateway) { Scheme = gateway.Scheme == "https" ? "wss" : "ws", Path = "/graphql" }.Uri.ToString();
        var request = JsonSerializer.Serialize(new { query, documentId, variables, extensions, connectionParams, renewals = renewals?.Select(r => new { afterMs = (int)r.After.TotalMilliseconds, token = r.Token }) });
        var node = await NodeProcess.StartAsync("graphql-ws-client.mjs", url, request, count.ToString(System.Globalization.CultureInfo.InvariantCulture), timeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new GraphQLWsClient(node);
    }

    /// <summary>The client's first line: {"event":"connected"}, or {"event":"error","code":4403,...} when the server refused it.</summary>
    public JsonElement First => _node.Ready;

    /// <summary>The next message as the client printed it: {"event":"next","data":...}, "done", "error", "timeout".</summary>
    public Task<JsonElement?> NextAsync(TimeSpan timeout) => _node.NextAsync(timeout);

    /// <summary>Every "next" payload's data until the client finishes (done, timeout, error or exit).</summary>
    public async Task<List<JsonElement>> CollectAsync(TimeSpan timeout)
    {
        var results = new List<JsonElement>();
        while (await NextAsync(timeout) is { } line)
        {
            var kind = line.GetProperty("event").GetString();
            if (kind == "next")
            {
                results.Add(line.GetProperty("data").GetProperty("data"));
            }
            else
            {
                break;
            }
        }

        return results;
    }

    public ValueTask DisposeAsync() => _node.DisposeAsync();
}

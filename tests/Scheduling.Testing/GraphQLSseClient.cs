using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scheduling.Testing;

/// <summary>
/// The reference GraphQL over SSE client (graphql-sse from npm, distinct connections mode) against a gateway: one event
/// stream per operation, one JSON line per message it gets (see tests/peers/graphql-sse-client.mjs).
/// </summary>
public sealed class GraphQLSseClient : IAsyncDisposable
{
    private readonly NodeProcess _node;
    private readonly string _file;
    private bool _disposed;

    private GraphQLSseClient(NodeProcess node, string file)
    {
        _node = node;
        _file = file;
    }

    /// <summary>Starts the client on the operations, one after another; returns once it has started.</summary>
    /// <param name="headers">More request headers (e.g. <c>Last-Event-ID</c> to resume).</param>
    public static async Task<GraphQLSseClient> StartAsync(Uri gateway, IReadOnlyList<GraphQLOperation> operations, string? bearerToken = null, int timeoutMs = 60000, IReadOnlyDictionary<string, string>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(operations);
        var sent = new Dictionary<string, string>(headers ?? new Dictionary<string, string>());
        if (bearerToken is not null)
        {
            sent["Authorization"] = "Bearer " + bearerToken;
        }

        var request = JsonSerializer.Serialize(new
        {
            headers = sent,
            operations = operations.Select(o => new { query = o.Query, variables = o.Variables }),
        });
        // In a file: a large document does not fit on a command line.
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, request);
        var url = new Uri(gateway, "/graphql").ToString();
        var node = await NodeProcess.StartAsync("graphql-sse-client.mjs", url, "@" + file, timeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new GraphQLSseClient(node, file);
    }

    /// <summary>Subscribes (one operation); returns once the client has started (wait for the gateway to listen before publishing).</summary>
    public static Task<GraphQLSseClient> SubscribeAsync(Uri gateway, string query, object? variables = null, string? bearerToken = null, int timeoutMs = 60000, IReadOnlyDictionary<string, string>? headers = null) =>
        StartAsync(gateway, [new GraphQLOperation(query, variables)], bearerToken, timeoutMs, headers);

    /// <summary>The next message as the client printed it: {"index":0,"event":"next","data":…}, "complete", "error", then "done" or "timeout".</summary>
    public Task<JsonElement?> NextAsync(TimeSpan timeout) => _node.NextAsync(timeout);

    /// <summary>
    /// Each operation's answer: its last result (a refusal comes as a result with errors, as the protocol has it).
    /// Throws when a stream failed (the server refused it, or it ended without complete).
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> AnswersAsync(int count, TimeSpan timeout)
    {
        var answers = new List<JsonObject>();
        JsonObject? last = null;
        while (answers.Count < count)
        {
            var line = await NextAsync(timeout) ?? throw new InvalidOperationException("graphql-sse client stopped: " + _node.Stderr);
            switch (line.GetProperty("event").GetString())
            {
                case "next":
                    last = JsonNode.Parse(line.GetProperty("data").GetRawText())!.AsObject();
                    break;
                case "complete":
                    answers.Add(last ?? throw new InvalidOperationException("a stream completed without a result"));
                    last = null;
                    break;
                default:
                    throw new InvalidOperationException("the event stream failed: " + line);
            }
        }

        return answers;
    }

    /// <summary>Stops the client, which closes its streams (a subscription's end, in this protocol); once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _node.DisposeAsync();
        File.Delete(_file);
    }
}

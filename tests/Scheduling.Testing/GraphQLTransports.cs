using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scheduling.Testing;

/// <summary>One GraphQL operation for <see cref="GraphQLTransport.RunAsync"/>.</summary>
public sealed record GraphQLOperation(string Query, object? Variables = null);

/// <summary>
/// How a transport ended a caller's long-lived use of it (<see cref="GraphQLTransport.RunUntilEndedAsync"/>): the code
/// it told (an error's <c>extensions.code</c>, or a WebSocket close code), when the client saw it, and the results before.
/// </summary>
public sealed record TransportEnding(string Code, DateTimeOffset At, IReadOnlyList<JsonObject> Before);

/// <summary>
/// A way to send operations to the gateway, for tests that must hold on every transport: each answer comes back as the
/// GraphQL result (<c>data</c> and/or <c>errors</c> with <c>extensions.code</c>), whatever the wire format was.
/// A new transport is one more subclass, one more name in <see cref="Named"/> and one more InlineData where used.
/// </summary>
public abstract class GraphQLTransport
{
    public const string Http = "http";
    public const string WebSocket = "websocket";
    public const string Sse = "sse";

    public static GraphQLTransport Named(string name) => name switch
    {
        Http => new HttpTransport(),
        WebSocket => new WebSocketTransport(),
        Sse => new SseTransport(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such transport"),
    };

    /// <summary>Runs the operations one after another as one caller (one connection where the transport has them).</summary>
    public abstract Task<IReadOnlyList<JsonObject>> RunAsync(GatewayServer gateway, IReadOnlyList<GraphQLOperation> operations, string? bearerToken);

    public async Task<JsonObject> RunAsync(GatewayServer gateway, GraphQLOperation operation, string? bearerToken) =>
        (await RunAsync(gateway, [operation], bearerToken))[0];

    /// <summary>
    /// Keeps one caller's operation going with <paramref name="bearerToken"/> until the gateway ends it: a subscription
    /// where the transport carries them (its events are the results before the end), over plain HTTP the query again
    /// every 200 ms (each request is checked on its own). Throws when nothing ends it within <paramref name="within"/>.
    /// </summary>
    public abstract Task<TransportEnding> RunUntilEndedAsync(
        GatewayServer gateway, GraphQLOperation subscription, GraphQLOperation query, string bearerToken, TimeSpan within);

    /// <summary>Reads a reference client's lines until one ends the stream (<paramref name="endOf"/> gives its code; null for an event).</summary>
    private static async Task<TransportEnding> StreamEndingAsync(Func<TimeSpan, Task<JsonElement?>> next, TimeSpan within, Func<JsonElement, string?> endOf)
    {
        var before = new List<JsonObject>();
        var until = DateTimeOffset.UtcNow + within;
        while (DateTimeOffset.UtcNow < until)
        {
            var line = await next(until - DateTimeOffset.UtcNow) ?? throw new TimeoutException("the stream did not end within " + within);
            if (endOf(line) is { } code)
            {
                return new TransportEnding(code, DateTimeOffset.UtcNow, before);
            }

            before.Add(JsonNode.Parse(line.GetProperty("data").GetRawText())!.AsObject());
        }

        throw new TimeoutException("the stream did not end within " + within);
    }

    /// <summary>The first error's code, or null when the answer has none.</summary>
    public static string? CodeOf(JsonObject answer) => answer.At("errors.0.extensions.code")?.GetValue<string>();

    private sealed class HttpTransport : GraphQLTransport
    {
        public override async Task<IReadOnlyList<JsonObject>> RunAsync(GatewayServer gateway, IReadOnlyList<GraphQLOperation> operations, string? bearerToken)
        {
            var answers = new List<JsonObject>();
            foreach (var operation in operations)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
                {
                    Content = new StringContent(JsonSerializer.Serialize(new { query = operation.Query, variables = operation.Variables }), Encoding.UTF8, "application/json"),
                };
                request.Headers.Accept.ParseAdd("application/graphql-response+json");
                if (bearerToken is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
                }

                using var response = await gateway.Client.SendAsync(request);
                answers.Add(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
            }

            return answers;
        }

        public override async Task<TransportEnding> RunUntilEndedAsync(
            GatewayServer gateway, GraphQLOperation subscription, GraphQLOperation query, string bearerToken, TimeSpan within)
        {
            var before = new List<JsonObject>();
            var until = DateTimeOffset.UtcNow + within;
            while (DateTimeOffset.UtcNow < until)
            {
                var answer = await RunAsync(gateway, query, bearerToken);
                if (CodeOf(answer) is { } code)
                {
                    return new TransportEnding(code, DateTimeOffset.UtcNow, before);
                }

                before.Add(answer);
                await Task.Delay(200);
            }

            throw new TimeoutException("HTTP kept answering the caller for " + within);
        }
    }

    private sealed class WebSocketTransport : GraphQLTransport
    {
        public override async Task<TransportEnding> RunUntilEndedAsync(
            GatewayServer gateway, GraphQLOperation subscription, GraphQLOperation query, string bearerToken, TimeSpan within)
        {
            await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, subscription.Query, subscription.Variables, count: 1000,
                timeoutMs: (int)within.TotalMilliseconds, connectionParams: new { Authorization = "Bearer " + bearerToken });
            Assert(client.First.TryGetProperty("event", out var first) && first.GetString() == "connected", "the socket was not acknowledged: " + client.First);
            return await StreamEndingAsync(client.NextAsync, within, line => line.GetProperty("event").GetString() switch
            {
                "next" => null,
                "error" when line.TryGetProperty("code", out var code) => code.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                var other => "unexpected " + other + ": " + line,
            });
        }

        public override async Task<IReadOnlyList<JsonObject>> RunAsync(GatewayServer gateway, IReadOnlyList<GraphQLOperation> operations, string? bearerToken)
        {
            var url = new UriBuilder(gateway.BaseAddress) { Scheme = "ws", Path = "/graphql" }.Uri.ToString();
            var request = JsonSerializer.Serialize(new
            {
                connectionParams = bearerToken is null ? null : new { Authorization = "Bearer " + bearerToken },
                operations = operations.Select(o => new { query = o.Query, variables = o.Variables }),
            });
            var file = Path.GetTempFileName();
            await File.WriteAllTextAsync(file, request);
            try
            {
                return await RunAsync(url, "@" + file, operations.Count);
            }
            finally
            {
                File.Delete(file);
            }
        }

        private static async Task<IReadOnlyList<JsonObject>> RunAsync(string url, string request, int count)
        {
            await using var node = await NodeProcess.StartAsync("graphql-ws-operations.mjs", url, request, "120000");
            Assert(node.Ready.TryGetProperty("event", out var first) && first.GetString() == "connected", "the socket was not acknowledged: " + node.Ready);
            var answers = new List<JsonObject>();
            while (answers.Count < count)
            {
                var line = await node.NextAsync(TimeSpan.FromSeconds(120)) ?? throw new InvalidOperationException("graphql-ws client stopped: " + node.Stderr);
                Assert(line.TryGetProperty("result", out var result), "the socket closed: " + line);
                answers.Add(JsonNode.Parse(result.GetRawText())!.AsObject());
            }

            return answers;
        }

        private static void Assert(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException(message);
            }
        }
    }

    /// <summary>GraphQL over SSE with the graphql-sse client: one event stream per operation, its last result the answer.</summary>
    private sealed class SseTransport : GraphQLTransport
    {
        public override async Task<IReadOnlyList<JsonObject>> RunAsync(GatewayServer gateway, IReadOnlyList<GraphQLOperation> operations, string? bearerToken)
        {
            await using var client = await GraphQLSseClient.StartAsync(gateway.BaseAddress, operations, bearerToken, timeoutMs: 120000);
            return await client.AnswersAsync(operations.Count, TimeSpan.FromSeconds(120));
        }

        /// <summary>The stream's end is a last <c>next</c> with the error, then <c>complete</c> (checked here).</summary>
        public override async Task<TransportEnding> RunUntilEndedAsync(
            GatewayServer gateway, GraphQLOperation subscription, GraphQLOperation query, string bearerToken, TimeSpan within)
        {
            await using var client = await GraphQLSseClient.SubscribeAsync(gateway.BaseAddress, subscription.Query, subscription.Variables, bearerToken,
                timeoutMs: (int)within.TotalMilliseconds);
            var ending = await StreamEndingAsync(client.NextAsync, within, line =>
                line.GetProperty("event").GetString() == "next"
                    ? (line.GetProperty("data").TryGetProperty("errors", out var errors) ? errors[0].GetProperty("extensions").GetProperty("code").GetString() : null)
                    : "unexpected " + line);
            var complete = await client.NextAsync(TimeSpan.FromSeconds(5));
            return complete?.GetProperty("event").GetString() == "complete" ? ending : ending with { Code = "no complete after " + ending.Code + ": " + complete };
        }
    }
}

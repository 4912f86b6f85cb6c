using System.Text.Json;

namespace Scheduling.Testing;

/// <summary>Many reference graphql-ws clients (npm) in one Node process, each on its own connection, all subscribed to one document.</summary>
public sealed class GraphQLWsCrowd : IAsyncDisposable
{
    private readonly NodeProcess _node;
    private readonly string _requestFile;

    private GraphQLWsCrowd(NodeProcess node, string requestFile) => (_node, _requestFile) = (node, requestFile);

    /// <param name="clients">Each client's connectionParams, and whether it is to receive <paramref name="count"/> events (the crowd is done when those have).</param>
    public static async Task<GraphQLWsCrowd> SubscribeAsync(Uri gateway, string query, object? variables, IReadOnlyList<(object? ConnectionParams, bool ExpectsEvents)> clients, int count = 1, int timeoutMs = 60000)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(clients);
        var url = new UriBuilder(gateway) { Scheme = gateway.Scheme == "https" ? "wss" : "ws", Path = "/graphql" }.Uri.ToString();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            query,
            variables,
            count,
            clients = clients.Select(c => new { connectionParams = c.ConnectionParams, expectsEvents = c.ExpectsEvents }),
        }));
        var node = await NodeProcess.StartAsync("graphql-ws-many.mjs", url, "@" + file, timeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new GraphQLWsCrowd(node, file);
    }

    /// <summary>When each result arrived at its client, in the order they arrived (for latencies).</summary>
    public List<DateTimeOffset> Arrivals { get; } = [];

    /// <summary>The line that ended the last <see cref="CollectAsync"/> (<c>done</c>, <c>timeout</c>), or none if the crowd went silent: for failure messages.</summary>
    public string? Ending { get; private set; }

    /// <summary>The first line: {"event":"connected","clients":N} once every client is acknowledged.</summary>
    public JsonElement First => _node.Ready;

    /// <summary>Every result per client index (errors included, as {"error": ...}) until the crowd is done or the time runs out.</summary>
    public async Task<(Dictionary<int, List<JsonElement>> Results, bool Done)> CollectAsync(TimeSpan timeout)
    {
        var results = new Dictionary<int, List<JsonElement>>();
        while (await _node.NextAsync(timeout) is { } line)
        {
            if (line.TryGetProperty("event", out var kind))
            {
                Ending = line.ToString();
                return (results, kind.GetString() == "done");
            }

            var index = line.GetProperty("index").GetInt32();
            if (!results.TryGetValue(index, out var list))
            {
                results[index] = list = [];
            }

            list.Add(line.TryGetProperty("data", out var data) ? data : line);
            if (line.TryGetProperty("at", out var at))
            {
                Arrivals.Add(DateTimeOffset.FromUnixTimeMilliseconds(at.GetInt64()));
            }
        }

        Ending = null;
        return (results, false);
    }

    /// <summary>Whether the crowd's process ended within this time (a crowd that is done waits until the test has read its lines).</summary>
    public Task<bool> ExitedWithinAsync(TimeSpan within) => _node.ExitedWithinAsync(within);

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        File.Delete(_requestFile);
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GraphQL;
using GraphQL.DI;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Testing;

namespace Scheduling.Tests.Http;

/// <summary>
/// The HTTP answer is written into the response as one piece (<c>ResponseBody</c>) instead of streamed by the
/// serializer: over realistic operations (screens, large answers, field and validation errors, typed payload errors,
/// extensions), its bytes are exactly what GraphQL.NET's serializer writes to a stream for the same result.
/// </summary>
public sealed class ResponseBodyTests
{
    [Fact]
    public async Task Every_answer_is_byte_for_byte_what_the_serializer_streams()
    {
        var results = new List<ExecutionResult>();
        var settings = TestTokens.GatewaySettings();
        settings["GraphQL:RateLimitPerSecond"] = "0";
        settings["GraphQL:MaxErrors"] = "10";
        await using var gateway = await GatewayServer.StartAsync(settings, services => services.AddSingleton<IConfigureExecution>(new Keep(results)));
        var serializer = gateway.Services.GetRequiredService<IGraphQLTextSerializer>();
        var admin = TestTokens.Admin();
        var from = "2020-01-01T00:00:00Z";
        (string Query, object? Variables, string Token)[] operations =
        [
            ("""
             query WeekView($id: ID!, $from: DateTime!) { practitioner(id: $id) { displayName
               schedules { nodes { id slots(where: { start: { gte: $from } }, first: 200) { nodes { start end status
                 appointments { nodes { status patient { displayName } } } } } } } } }
             """, new { id = "alice-smith", from }, admin),
            ("query($from: DateTime!) { appointments(where: { date: { gte: $from } }, first: 100) { nodes { start status practitioners { displayName } location { name } } } }", new { from }, admin),
            ("{ __schema { types { name description fields { name description args { name } } } } }", null, admin),
            ("{ practitioner(id: \"alice-smith\") { displayName } nobody: practitioner(id: \"no-such-one\") { displayName } }", null, admin),
            ("{ node(id: \"x\") { id } }", null, admin),
            ("{ appointments(first: 5) { nodes { id } } practitioner(id: \"alice-smith\") { displayName } }", null, TestTokens.Issue(("scope", "openid"))),
            ("{ patients(first: 5) { nodes { name { family } birthDate } } }", null, TestTokens.Patient("ned-flanders")),
            ("{ noSuchField }", null, admin),
            ("{ " + string.Concat(Enumerable.Range(0, 50).Select(i => $"f{i} ")) + "}", null, admin),
            ("query($n: Int) { slots(first: $n) { totalCount } }", new { n = "many" }, admin),
            ("mutation { bookAppointment(input: { slotIds: [\"x\"], patientId: \"ned-flanders\" }) { appointment { id } errors { __typename ... on Error { code message } } } }", null, admin),
            ("{ a: __typename b: __typename \u00e9t\u00e9: __typename }", null, admin),
        ];

        var failures = new List<string>();
        foreach (var (query, variables, token) in operations)
        {
            var sent = await SendAsync(gateway, query, variables, token);
            var result = results[^1];
            using var streamed = new MemoryStream();
            await serializer.WriteAsync(streamed, result);
            if (!sent.AsSpan().SequenceEqual(streamed.ToArray()))
            {
                failures.Add($"{query[..Math.Min(60, query.Length)]}: sent {Encoding.UTF8.GetString(sent)[..Math.Min(200, sent.Length)]}");
            }
        }

        Assert.Equal(operations.Length, results.Count);
        Assert.Contains(results, r => r.Errors is { Count: > 0 } && r.Executed);
        Assert.Contains(results, r => !r.Executed);
        Assert.Empty(failures);
    }

    private static async Task<byte[]> SendAsync(GatewayServer gateway, string query, object? variables, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query, variables }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/graphql-response+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await gateway.Client.SendAsync(request);
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>Outermost: keeps every result as answered, with an extension of its own.</summary>
    private sealed class Keep(List<ExecutionResult> results) : IConfigureExecution
    {
        public float SortOrder => -1;

        public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
        {
            var result = await next(options);
            result.Extensions ??= [];
            result.Extensions["test"] = new Dictionary<string, object?> { ["operation"] = options.OperationName, ["n"] = results.Count, ["text"] = "\"quoted\" <html> \u2603" };
            lock (results)
            {
                results.Add(result);
            }

            return result;
        }
    }
}

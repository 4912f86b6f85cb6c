using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GraphQL;
using GraphQL.DI;
using GraphQL.Validation;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.Execution;
using Scheduling.Schema.Execution;
using Scheduling.Testing;

namespace Scheduling.Tests.Http;

/// <summary>
/// A document that passed validation once is not walked again by the rules its text alone decides; everything its
/// variables, its caller or the schema decide is refused on every request exactly as the first time; the cache of
/// validated documents stays within its size.
/// </summary>
public sealed class ValidatedDocumentTests
{
    private const string Slots = "query($ids: [ID!]) { slots(where: { scheduleIds: $ids }, first: 1) { totalCount } }";

    [Fact]
    public async Task A_second_request_of_the_same_document_is_not_walked_by_the_document_rules_again()
    {
        var documentRule = new CountingRule();
        var requestRule = new CountingRule();
        await using var gateway = await GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["GraphQL:RateLimitPerSecond"] = "0" },
            services => services.AddSingleton<IConfigureExecution>(new AddRules(new DocumentOnly(documentRule), requestRule)));

        for (var i = 1; i <= 3; i++)
        {
            var answer = await gateway.QueryAsync(Slots, new { ids = Enumerable.Range(0, i).Select(n => $"schedule-{n}").ToArray() });
            Assert.Null(answer["errors"]);
        }

        Assert.Equal(1, documentRule.Visits);
        Assert.Equal(3, requestRule.Visits);
        // The same text selecting another operation, and another text, are documents of their own.
        Assert.Null((await gateway.QueryAsync("{ __typename }"))["errors"]);
        Assert.Null((await gateway.QueryAsync("{ __typename }"))["errors"]);
        Assert.Equal(2, documentRule.Visits);
        Assert.True(gateway.Services.GetRequiredService<ValidatedDocuments>().Contains(Slots, null));
    }

    [Fact]
    public async Task A_document_that_failed_validation_is_walked_again_every_time()
    {
        var documentRule = new CountingRule();
        await using var gateway = await GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["GraphQL:RateLimitPerSecond"] = "0" },
            services => services.AddSingleton<IConfigureExecution>(new AddRules(new DocumentOnly(documentRule))));
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull((await gateway.QueryAsync("{ noSuchField }"))["errors"]);
        }

        Assert.Equal(3, documentRule.Visits);
        Assert.False(gateway.Services.GetRequiredService<ValidatedDocuments>().Contains("{ noSuchField }", null));
    }

    /// <summary>
    /// Every refusal LimitsTests and HostileInputTests expect of a request's variables or caller (an error, or for a
    /// reader only what it may see): sent before its document is validated, then after a good request (an admin's,
    /// good variables) made it a validated one, it gets the same status and the same bytes.
    /// </summary>
    [Fact]
    public async Task Every_refusal_by_variables_or_caller_is_the_same_when_the_document_is_already_validated()
    {
        var settings = TestTokens.GatewaySettings();
        settings["GraphQL:RateLimitPerSecond"] = "0";
        settings["GraphQL:MaxRequestBytes"] = "1048576";
        await using var gateway = await GatewayServer.StartAsync(settings);
        var validated = gateway.Services.GetRequiredService<ValidatedDocuments>();
        var failures = new List<string>();
        var cases = Cases().ToList();
        foreach (var (name, query, good, bad, badCaller) in cases)
        {
            Assert.False(validated.Contains(query, null), name);
            var first = await SendAsync(gateway, query, bad, badCaller);
            var warm = await SendAsync(gateway, query, good, TestTokens.Admin());
            Assert.True(validated.Contains(query, null), $"{name}: not validated after {warm.Body}");
            var again = await SendAsync(gateway, query, bad, badCaller);
            if (first != again)
            {
                failures.Add($"{name}:\n  first {first}\n  again {again}");
            }

            if (first == warm)
            {
                failures.Add($"{name}: answered as the good request: {first}");
            }
        }

        Assert.True(cases.Count >= 12, $"only {cases.Count} cases");
        Assert.Empty(failures);
    }

    /// <summary>
    /// What the cases above do not reach: another operation of a kept text selected by name, the node ids a variable
    /// names, and FHIR searches priced by a list under @include/@skip, each refused alike cold and once kept.
    /// </summary>
    [Fact]
    public async Task A_selected_operations_refusal_and_one_under_include_or_skip_are_the_same_when_the_document_is_already_validated()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["GraphQL:MaxFhirSearches"] = "15",
            ["GraphQL:MaxRequestBytes"] = "1048576",
        });
        var validated = gateway.Services.GetRequiredService<ValidatedDocuments>();
        var few = new[] { "a", "b" };
        var thousand = Enumerable.Range(0, 1000).Select(i => $"schedule-{i}").ToArray();
        var manyNodes = Enumerable.Range(0, 101).Select(i => $"Practitioner/p{i}").ToArray();
        const string TwoOperations = """
            query Small { __typename }
            query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }
            """;
        const string Directed = """
            query($ids: [ID!], $on: Boolean!) {
              a: slots(where: { scheduleIds: $ids }, first: 1) @include(if: $on) { totalCount }
              b: slots(where: { scheduleIds: $ids }, first: 1) @skip(if: $on) { totalCount }
              ...F
            }
            fragment F on Query { c: slots(where: { scheduleIds: $ids }, first: 1) @include(if: $on) { totalCount } }
            """;
        var cases = new (string Name, string Query, string? Operation, object Good, string? GoodOperation, object Bad)[]
        {
            ("another operation of the text, selected by name", TwoOperations, "Nodes", new { ids = few }, "Small", new { ids = manyNodes }),
            ("too many node ids by a variable", TwoOperations + " ", "Nodes", new { ids = few }, "Nodes", new { ids = manyNodes }),
            ("FHIR searches priced by a list under @include/@skip", Directed, null, new { ids = few, on = false }, null, new { ids = thousand, on = true }),
        };
        var failures = new List<string>();
        foreach (var (name, query, operation, good, goodOperation, bad) in cases)
        {
            var cold = await SendOperationAsync(gateway, query, operation, bad);
            var warmUp = await SendOperationAsync(gateway, query, goodOperation, good);
            Assert.True(validated.Contains(query, goodOperation), $"{name}: not kept after {warmUp}");
            if (operation != goodOperation)
            {
                await SendOperationAsync(gateway, query, operation, good);
            }

            Assert.True(validated.Contains(query, operation), $"{name}: the selected operation's document not kept");
            var warm = await SendOperationAsync(gateway, query, operation, bad);
            if (cold != warm)
            {
                failures.Add($"{name}:\n  cold {cold}\n  warm {warm}");
            }

            if (!cold.Contains("\"errors\"", StringComparison.Ordinal))
            {
                failures.Add($"{name}: the bad request was not refused even cold: {cold}");
            }
        }

        Assert.Empty(failures);
    }

    private static async Task<string> SendOperationAsync(GatewayServer gateway, string query, string? operationName, object variables)
    {
        using var response = await gateway.Client.PostAsJsonAsync(new Uri("/graphql", UriKind.Relative), new { query, operationName, variables });
        var body = await response.Content.ReadAsStringAsync();
        return $"{(int)response.StatusCode} {body[..Math.Min(400, body.Length)]}";
    }

    [Fact]
    public async Task The_validated_documents_stay_within_their_size()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["GraphQL:RateLimitPerSecond"] = "0",
            ["GraphQL:ValidatedDocumentCacheCharacters"] = "20000",
        });
        var validated = gateway.Services.GetRequiredService<ValidatedDocuments>();
        var kept = 0L;
        for (var i = 0; i < 200; i++)
        {
            var query = $"{{ a{i}: __typename {new string(' ', i * 10)}}}";
            Assert.Null((await gateway.QueryAsync(query))["errors"]);
            Assert.InRange(validated.Size, 0, validated.Limit);
            kept = Math.Max(kept, validated.Count);
        }

        Assert.Equal(20000, validated.Limit);
        Assert.InRange(kept, 2, 20000 / ValidatedDocumentsOverhead);
        // The cache makes room: a new document is kept again after the oldest ones went.
        await WaitForAsync(() => validated.Size < validated.Limit - 2000);
        const string Last = "{ last: __typename }";
        Assert.Null((await gateway.QueryAsync(Last))["errors"]);
        Assert.True(validated.Contains(Last, null));
    }

    [Fact]
    public void GraphQLs_rules_that_see_variables_are_not_taken_for_document_rules()
    {
        var scopes = RuleScopes.Of(DocumentValidator.CoreRules);
        Assert.Contains(GraphQL.Validation.Rules.FieldArgumentsAreValidRule.Instance, scopes.PerRequest);
        Assert.Contains(GraphQL.Validation.Rules.ArgumentsOfCorrectType.Instance, scopes.DocumentOnly);
        Assert.All(scopes.DocumentOnly, rule => Assert.True(RuleScopes.LooksAtTheDocumentOnly(rule), rule.GetType().Name));
        // A rule nobody declared is run on every request.
        var unknown = new CountingRule();
        Assert.Equal([unknown], RuleScopes.Of([unknown]).PerRequest);
    }

    private const int ValidatedDocumentsOverhead = 1024;

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }
    }

    private static IEnumerable<(string Name, string Query, object? Good, object? Bad, string BadCaller)> Cases()
    {
        var patient = TestTokens.Patient("ned-flanders");
        var admin = TestTokens.Admin();
        var many = Enumerable.Range(0, 30_000).Select(i => $"schedule-{i}").ToArray();
        var thousand = many.Take(1000).ToArray();
        var few = many.Take(3).ToArray();

        yield return ("too long a list in a variable", Slots, new { ids = few }, new { ids = many }, admin);
        yield return ("too long a list in a mutation's variable", "mutation($ids: [ID!]!) { deleteSlots(input: { slotIds: $ids }) { __typename } }",
            new { ids = few }, new { ids = many }, admin);
        var eleven = "query($ids: [ID!]) { " + string.Concat(Enumerable.Range(0, 11).Select(i => $"a{i}: slots(where: {{ scheduleIds: $ids }}, first: 1) {{ totalCount }} ")) + "}";
        yield return ("FHIR searches priced by a variable", eleven, new { ids = few }, new { ids = thousand }, admin);
        const string Costly = "query($n: Int) { slots(first: $n) { nodes { schedule { slots(first: $n) { nodes { schedule { slots(first: $n) { nodes { id } } } } } } } } }";
        yield return ("complexity by a variable", Costly, new { n = 2 }, new { n = 1000 }, admin);
        const string Sorted = "query($o: [SlotSortInput!]) { slots(order: $o, first: 1) { totalCount } }";
        yield return ("@oneOf variable with two keys", Sorted, new { o = new[] { new { start = "ASC" } } }, new { o = new[] { new { start = "ASC", status = "DESC" } } }, admin);
        yield return ("@oneOf variable with none", Sorted + " ", new { o = new[] { new { start = "ASC" } } }, new { o = new[] { new { } } }, admin);
        const string From = "query($t: DateTime) { slots(where: { start: { gte: $t } }, first: 1) { totalCount } }";
        yield return ("a date-time without its offset", From, new { t = "2030-01-01T09:00:00Z" }, new { t = "2030-01-01T09:00:00" }, admin);
        yield return ("a date-time that is not one", From + " ", new { t = "2030-01-01T09:00:00Z" }, new { t = "soon" }, admin);
        const string Required = "query($id: ID!) { node(id: $id) { id } }";
        yield return ("a required variable missing", Required, new { id = "Practitioner/alice-smith" }, null, admin);
        yield return ("an id that is not one", Required + " ", new { id = "Practitioner/alice-smith" }, new { id = "x" }, admin);
        yield return ("a variable of the wrong type", Costly + " ", new { n = 2 }, new { n = "many" }, admin);
        yield return ("a page size past its range", "query($n: Int) { slots(first: $n) { totalCount } }", new { n = 5 }, new { n = 100_000 }, admin);
        yield return ("a caller without the right to read patients", "{ patients(first: 100) { nodes { name { family } birthDate } } }", null, null, patient);
        yield return ("a role-less caller", "{ appointments(first: 100) { nodes { patient { name { family } } } } }", null, null,
            TestTokens.Issue(("scope", "openid")));
        yield return ("a patient's write for another patient", "mutation($p: ID!) { bookAppointment(input: { slotIds: [\"x\"], patientId: $p }) { errors { __typename ... on Error { code } } } }",
            new { p = "ned-flanders" }, new { p = "homer-simpson" }, patient);
        yield return ("a slot flood as a patient", "mutation($input: CreateSlotsInput!) { createSlots(input: $input) { count errors { __typename ... on Error { code } } } }",
            new { input = new { scheduleId = "no-such-schedule", from = "2031-01-01", to = "2031-01-01", daysOfWeek = new[] { "MONDAY" }, startTime = "09:00", endTime = "10:00", slotMinutes = 30 } },
            new { input = new { scheduleId = "alice-smith-schedule", from = "2031-01-01", to = "2031-12-31", daysOfWeek = new[] { "MONDAY" }, startTime = "00:00", endTime = "23:59", slotMinutes = 5 } },
            patient);
    }

    private sealed record Answer(int Status, string Body)
    {
        public override string ToString() => $"{Status} {Body[..Math.Min(300, Body.Length)]}";
    }

    private static async Task<Answer> SendAsync(GatewayServer gateway, string query, object? variables, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query, variables }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/graphql-response+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await gateway.Client.SendAsync(request);
        return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Counts the validations that ran it (a walk of the document each).</summary>
    private sealed class CountingRule : ValidationRuleBase
    {
        private int _visits;

        public int Visits => _visits;

        public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
        {
            Interlocked.Increment(ref _visits);
            return default;
        }
    }

    private sealed class DocumentOnly(IValidationRule inner) : IDocumentOnlyRule
    {
        public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => inner.GetPreNodeVisitorAsync(context);

        public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context) => inner.GetVariableVisitorAsync(context);

        public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => inner.GetPostNodeVisitorAsync(context);
    }

    /// <summary>Adds rules to every request's, as the schema's own options do.</summary>
    private sealed class AddRules(params IValidationRule[] rules) : IConfigureExecution
    {
        public float SortOrder => 100;

        public Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
        {
            options.ValidationRules = (options.ValidationRules ?? DocumentValidator.CoreRules).Concat(rules);
            return next(options);
        }
    }
}

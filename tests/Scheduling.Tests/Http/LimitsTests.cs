using System.Net;
using System.Text.Json.Nodes;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Http;

/// <summary>The limits that keep one client or one query from taking the gateway down.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Too_deep_and_too_costly_documents_are_refused_before_any_FHIR_work()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["GraphQL:MaxDepth"] = "10" });
        var deep = "{ schedule(id: \"alice-smith-schedule\") { slots { nodes { schedule { slots { nodes { schedule { slots { nodes { schedule { slots { nodes { id } } } } } } } } } } } } }";
        var depth = await RejectedAsync(gateway, deep);
        Assert.Contains("depth", depth, StringComparison.OrdinalIgnoreCase);

        // A query made costly by page sizes: GraphQL.NET's complexity estimate refuses it.
        var costly = await RejectedAsync(gateway, "{ slots(first: 1000) { nodes { schedule { slots(first: 1000) { nodes { schedule { slots(first: 1000) { nodes { id } } } } } } } } }");
        Assert.Contains("complexity", costly, StringComparison.OrdinalIgnoreCase);

        // Aliases multiply FHIR searches: each one is priced, and 2000 of them are refused at once.
        var aliases = string.Join(' ', Enumerable.Range(0, 2000).Select(i => $"a{i}: slots(first: 1000) {{ nodes {{ id }} }}"));
        Assert.Contains("4000 FHIR searches", await RejectedAsync(gateway, "{ " + aliases + " }", "TOO_MANY_FHIR_SEARCHES"), StringComparison.Ordinal);

        // Fragments that double at every level are counted, not expanded: 2^26 fields refused in milliseconds.
        var bomb = "query { ...F0 } " + string.Concat(Enumerable.Range(0, 25).Select(i => $"fragment F{i} on Query {{ ...F{i + 1} a{i}: __typename ...F{i + 1} }} ")) +
                   "fragment F25 on Query { __typename }";
        // Counted: the refusal names the expanded count (expanding 2^26 fields would not come back at all).
        Assert.Contains("once its fragments are expanded", await RejectedAsync(gateway, bomb, "TOO_MANY_FIELDS"), StringComparison.Ordinal);

        // An everyday screen (9 levels, ~1.5 million estimated) stays within both.
        var week = await gateway.QueryAsync("""{ practitioner(id: "alice-smith") { schedules { nodes { slots(first: 200) { nodes { start status appointments { nodes { patient { displayName } } } } } } } } }""");
        Assert.Null(week["errors"]);
    }

    [Fact]
    public async Task Directive_overload_is_refused_fast_and_counted_without_expanding_fragments()
    {
        await using var gateway = await GatewayServer.StartAsync();

        // Finding 5: one field with 30,000 directives (469 KB) took 7-70 s of CPU and answered 5.9 MB of errors.
        var overload = await RejectedAsync(gateway, "{ __typename" + string.Concat(Enumerable.Repeat(" @skip(if: false)", 30_000)) + " }", "TOO_MANY_DIRECTIVES");
        Assert.Contains("30000 directives", overload, StringComparison.Ordinal);

        // Spread over many fields, and multiplied through fragments (10 levels: 1,024 fields, 2,046 directives).
        await RejectedAsync(gateway, "{ " + string.Concat(Enumerable.Range(0, 1500).Select(i => $"a{i}: __typename @include(if: true) ")) + "}", "TOO_MANY_DIRECTIVES");
        var doubling = "query { ...F0 } " + string.Concat(Enumerable.Range(0, 10).Select(i => $"fragment F{i} on Query {{ ...F{i + 1} @include(if: true) ...F{i + 1} @include(if: true) }} ")) +
                       "fragment F10 on Query { __typename }";
        Assert.Contains("2046 directives once its fragments are expanded", await RejectedAsync(gateway, doubling, "TOO_MANY_DIRECTIVES"), StringComparison.Ordinal);

        // Within the cap, directives work as ever.
        var fine = await gateway.QueryAsync("{ a: __typename @skip(if: false) b: __typename @skip(if: true) }");
        Assert.Equal("Query", fine.At("data.a")!.GetValue<string>());
        Assert.Null(fine.At("data.b"));
    }

    /// <summary>
    /// GraphQL's validation walks every definition, and compares every pair of same-named selections: bombs outside the
    /// selected operation (29 s), in a fragment never spread (25 s) or as one name repeated under MaxFields (19 s) are
    /// refused by the whole document's limits before any rule walks them.
    /// </summary>
    [Fact]
    public async Task Validation_bombs_outside_the_selected_operation_or_in_repeated_names_are_refused()
    {
        await using var gateway = await GatewayServer.StartAsync();
        var directives = "__typename" + string.Concat(Enumerable.Repeat(" @skip(if: false)", 30_000));
        await RejectedAsync(gateway, "query A { __typename } query B { " + directives + " }", "TOO_MANY_DIRECTIVES", operationName: "A");
        await RejectedAsync(gateway, "{ __typename } fragment Unused on Query { " + directives + " }", "TOO_MANY_DIRECTIVES");
        await RejectedAsync(gateway, "{ " + string.Concat(Enumerable.Repeat("a: __typename ", 19_999)) + "}", "TOO_MANY_SAME_NAME_SELECTIONS");
        await RejectedAsync(gateway, "query A { __typename } query B { " + string.Concat(Enumerable.Range(0, 20_001).Select(i => $"a{i}: __typename ")) + "}", "TOO_MANY_FIELDS", operationName: "A");

        // The same name through inline fragments and spreads counts as the merge rule sees it.
        await RejectedAsync(gateway, "{ " + string.Concat(Enumerable.Repeat("... on Query { a: __typename } ", 5_000)) + "}", "TOO_MANY_SAME_NAME_SELECTIONS");
        await RejectedAsync(gateway, "{ " + string.Concat(Enumerable.Repeat("...F ", 5_000)) + "} fragment F on Query { __typename }", "TOO_MANY_SAME_NAME_SELECTIONS");
        await RejectedAsync(gateway, "{ " + string.Concat(Enumerable.Range(0, 200).Select(i => $"...F{i} ")) + "} " +
            string.Concat(Enumerable.Range(0, 200).Select(i => $"fragment F{i} on Query {{ a: __typename }} ")), "TOO_MANY_SAME_NAME_SELECTIONS");

        // Within the caps, a name may repeat (merged as GraphQL merges it) and other operations may sit beside.
        var fine = await gateway.QueryAsync("{ a: __typename a: __typename ... on Query { a: __typename } }");
        Assert.Equal("Query", fine.At("data.a")!.GetValue<string>());
    }

    /// <summary>
    /// List arguments: 30,000 schedule ids in one slots search answered 504 after 30 s, and deleteSlots took 30,000 ids
    /// uncapped. Every list argument (literal or variable, search or mutation input) is capped, and a FHIR search field
    /// is priced by its lists in chunks of Fhir:MaxValuesPerSearch.
    /// </summary>
    [Fact]
    public async Task Long_list_arguments_are_capped_and_priced_as_the_searches_they_need()
    {
        await using var gateway = await GatewayServer.StartAsync();
        var many = Enumerable.Range(0, 30_000).Select(i => $"schedule-{i}").ToArray();
        const string Slots = "query($ids: [ID!]) { slots(where: { scheduleIds: $ids }, first: 1) { totalCount } }";
        Assert.Contains("30000 values", await RejectedAsync(gateway, Slots, "TOO_LONG_LIST", variables: new { ids = many }), StringComparison.Ordinal);
        await RejectedAsync(gateway, "{ slots(where: { status: [" + string.Join(',', Enumerable.Repeat("FREE", 30_000)) + "] }, first: 1) { totalCount } }", "TOO_LONG_LIST");
        await RejectedAsync(gateway, "mutation($ids: [ID!]!) { deleteSlots(input: { slotIds: $ids }) { __typename } }", "TOO_LONG_LIST", variables: new { ids = many });

        // Within the cap, 1000 ids are 10 searches of 100: eleven such fields are past the budget of 100.
        var thousand = many.Take(1000).ToArray();
        var eleven = "query($ids: [ID!]) { " + string.Concat(Enumerable.Range(0, 11).Select(i => $"a{i}: slots(where: {{ scheduleIds: $ids }}, first: 1) {{ totalCount }} ")) + "}";
        Assert.Contains("110 FHIR searches", await RejectedAsync(gateway, eleven, "TOO_MANY_FHIR_SEARCHES", variables: new { ids = thousand }), StringComparison.Ordinal);

        using var fine = await gateway.PostAsync(Slots, new { ids = many.Take(150).ToArray() });
        Assert.Null(JsonNode.Parse(await fine.Content.ReadAsStringAsync())!["errors"]);
    }

    [Fact]
    public async Task A_document_that_fails_everywhere_stops_validation_at_MaxErrors()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["GraphQL:MaxErrors"] = "10" });
        var message = await RejectedAsync(gateway, "{ " + string.Concat(Enumerable.Range(0, 10_000).Select(i => $"f{i} ")) + "}", "TOO_MANY_ERRORS");
        Assert.Contains("after 10 errors", message, StringComparison.Ordinal);
        Assert.Contains("f0", message, StringComparison.Ordinal);

        // Within the cap every error is reported.
        using var response = await gateway.PostAsync("{ a b c }");
        Assert.Equal(3, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("GraphQL:MaxDepth", "1")]
    [InlineData("GraphQL:MaxDirectives", "0")]
    [InlineData("GraphQL:OperationTimeoutSeconds", "0")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "not-an-address")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/99")]
    public async Task A_bad_limit_stops_start_up_naming_the_setting(string setting, string value)
    {
        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => GatewayServer.StartAsync(new Dictionary<string, string?> { [setting] = value }));
        Assert.Contains(setting.EndsWith(":0", StringComparison.Ordinal) ? setting[..^2] : setting, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Introspection_can_be_switched_off()
    {
        await using var off = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["GraphQL:EnableIntrospection"] = "false" });
        await RejectedAsync(off, "{ __schema { types { name } } }");
        var plain = await off.QueryAsync("""{ practitioner(id: "alice-smith") { displayName } }""");
        Assert.Null(plain["errors"]);
    }

    [Fact]
    public async Task A_client_over_its_rate_gets_429_with_a_GraphQL_error_and_recovers()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["GraphQL:RateLimitPerSecond"] = "1",
            ["GraphQL:RateLimitBurst"] = "3",
        });
        var statuses = new List<HttpStatusCode>();
        string? refusal = null;
        for (var i = 0; i < 10; i++)
        {
            using var response = await gateway.PostAsync("{ __typename }");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refusal ??= await response.Content.ReadAsStringAsync();
            }
        }

        // The burst of 3 passes; within the same second at most one more token refills.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(3));
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 3, 4);
        Assert.Equal("RATE_LIMITED", JsonNode.Parse(refusal!).At("errors.0.extensions.code")!.GetValue<string>());

        await Task.Delay(1100);
        using var again = await gateway.PostAsync("{ __typename }");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private static async Task<string> RejectedAsync(GatewayServer gateway, string query, string? code = null, string? operationName = null, object? variables = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { query, operationName, variables }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/graphql-response+json");
        using var response = await gateway.Client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(body["data"]);
        Assert.NotNull(body.At("errors.0.extensions.code"));
        if (code is not null)
        {
            Assert.Equal(code, body.At("errors.0.extensions.code")!.GetValue<string>());
        }

        return body.At("errors.0.message")!.GetValue<string>();
    }
}

[Collection(MedplumCollection.Name)]
public sealed class OperationTimeoutTests(MedplumFixture medplum)
{
    [Fact]
    public async Task An_operation_past_its_deadline_is_cancelled_and_answered_504()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("GraphQL:OperationTimeoutSeconds", "1"), ("Cache:Enabled", "false")));
        await medplum.Server.Control.PostAsync("latency?ms=1500", null);
        try
        {
            using var response = await gateway.PostAsync("""{ practitioners { nodes { id } } }""");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            Assert.Equal("OPERATION_TIMEOUT", body.At("errors.0.extensions.code")!.GetValue<string>());
        }
        finally
        {
            await medplum.Server.Control.PostAsync("latency?ms=0", null);
        }
    }
}

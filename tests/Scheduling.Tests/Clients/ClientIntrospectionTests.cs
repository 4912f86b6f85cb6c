using System.Text.Json;
using Scheduling.Schema.Common;
using Scheduling.Testing;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Clients;

/// <summary>What client tools ask of the schema by introspection, asked by the tools themselves (graphql-js) over HTTP.</summary>
public sealed class ClientIntrospectionTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    [Fact]
    public async Task graphql_js_builds_a_client_schema_from_its_introspection_query_with_every_option_on()
    {
        await using var node = await NodeProcess.StartAsync("introspection-client-schema.mjs", fixture.Gateway.GraphQLUrl.ToString());
        var result = await node.NextAsync(TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException("no result: " + node.Stderr);
        Assert.True(result.GetProperty("event").GetString() == "result", result.GetRawText());

        Assert.True(result.GetProperty("types").GetInt32() > 50, result.GetRawText());
        Assert.StartsWith("Scheduling over FHIR R4", result.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(IsoDateTimeGraphType.SpecifiedByUrl, result.GetProperty("specifiedByURLs").GetProperty("DateTime").GetString());
        Assert.Equal(Names(result, "directives"), Names(result, "directivesWithIsRepeatable"));
        Assert.Contains("specifiedBy", Names(result, "directives"));
        // Arguments and input fields can be deprecated, so the API can evolve under old mobile builds.
        Assert.Superset(new HashSet<string> { "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION" }, Names(result, "deprecatedLocations").ToHashSet());
    }

    /// <summary>Tools that first ask which fields introspection has (Banana Cake Pop does) then use only those.</summary>
    [Theory]
    [InlineData("__Directive", "isRepeatable")]
    [InlineData("__Type", "specifiedByURL")]
    [InlineData("__InputValue", "isDeprecated")]
    public async Task Introspection_lists_its_own_newer_fields(string type, string field)
    {
        var response = await fixture.Gateway.QueryAsync("query($type: String!) { __type(name: $type) { fields { name } } }", new { type });
        Assert.Null(response["errors"]);
        Assert.Contains(field, response.At("data.__type.fields")!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
    }

    private static string[] Names(JsonElement result, string property) =>
        [.. result.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];
}

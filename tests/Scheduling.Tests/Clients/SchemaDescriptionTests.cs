using System.Text.Json.Nodes;
using Scheduling.Testing;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Clients;

/// <summary>
/// Every type, field, argument, input field, enum value and directive the gateway serves has a description, found by
/// walking the schema by introspection as a client's IDE sees it (introspection's own types left out).
/// </summary>
public sealed class SchemaDescriptionTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private const string Introspection = """
        query {
          __schema {
            types {
              name kind description
              fields(includeDeprecated: true) { name description args(includeDeprecated: true) { name description } }
              inputFields(includeDeprecated: true) { name description }
              enumValues(includeDeprecated: true) { name description }
            }
            directives { name description args(includeDeprecated: true) { name description } }
          }
        }
        """;

    /// <summary>The spec's scalars: described by the spec, and in no SDL.</summary>
    private static readonly HashSet<string> SpecifiedScalars = ["String", "Int", "Float", "Boolean", "ID"];

    [Fact]
    public async Task Every_schema_element_has_a_description()
    {
        var response = await fixture.Gateway.QueryAsync(Introspection);
        Assert.Null(response["errors"]);
        Assert.Empty(Undescribed(response.At("data.__schema")!));
    }

    /// <summary>Schema coordinates (<c>Type</c>, <c>Type.field</c>, <c>Type.field(arg:)</c>, <c>@directive(arg:)</c>) without a description.</summary>
    private static IEnumerable<string> Undescribed(JsonNode schema)
    {
        foreach (var type in schema["types"]!.AsArray().Select(t => t!))
        {
            var name = type["name"]!.GetValue<string>();
            if (name.StartsWith("__", StringComparison.Ordinal) || SpecifiedScalars.Contains(name))
            {
                continue;
            }

            if (Blank(type))
            {
                yield return name;
            }

            foreach (var field in Items(type["fields"]))
            {
                var coordinate = $"{name}.{field["name"]}";
                if (Blank(field))
                {
                    yield return coordinate;
                }

                foreach (var argument in Items(field["args"]).Where(Blank))
                {
                    yield return $"{coordinate}({argument["name"]}:)";
                }
            }

            foreach (var value in Items(type["inputFields"]).Concat(Items(type["enumValues"])).Where(Blank))
            {
                yield return $"{name}.{value["name"]}";
            }
        }

        foreach (var directive in Items(schema["directives"]))
        {
            if (Blank(directive))
            {
                yield return $"@{directive["name"]}";
            }

            foreach (var argument in Items(directive["args"]).Where(Blank))
            {
                yield return $"@{directive["name"]}({argument["name"]}:)";
            }
        }
    }

    private static IEnumerable<JsonNode> Items(JsonNode? list) => list?.AsArray().Select(n => n!) ?? [];

    private static bool Blank(JsonNode element) => string.IsNullOrWhiteSpace(element["description"]?.GetValue<string>());
}

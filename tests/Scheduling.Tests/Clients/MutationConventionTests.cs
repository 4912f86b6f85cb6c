using System.Text.Json.Nodes;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Common;
using Scheduling.Testing;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Clients;

/// <summary>
/// The mutation conventions, checked over every mutation the schema has: each answers with its own payload whose
/// <c>errors</c> is a list of its own union, whose members are exactly the errors it declares, each implementing
/// <c>Error</c> with an enum <c>code</c>; and the edge refuses an error a mutation did not declare.
/// </summary>
public sealed class MutationConventionTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private const string Introspection = """
        query {
          __schema {
            mutationType { fields { name type { ...T } } }
            types {
              name kind
              interfaces { name }
              possibleTypes { name }
              enumValues { name }
              fields { name type { ...T } }
            }
          }
        }
        fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
        """;

    [Fact]
    public async Task Every_mutation_answers_errors_of_its_own_union_of_Error_types_with_an_enum_code()
    {
        var response = await fixture.Gateway.QueryAsync(Introspection);
        Assert.Null(response["errors"]);
        var types = response.At("data.__schema.types")!.AsArray().ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!);
        var mutations = response.At("data.__schema.mutationType.fields")!.AsArray().Select(m => m!).ToList();
        var declared = DeclaredErrors();
        Assert.NotEmpty(mutations);
        Assert.Equal(declared.Keys.Order(), mutations.Select(m => m["name"]!.GetValue<string>()).Order());

        var failures = new List<string>();
        foreach (var mutation in mutations)
        {
            var name = mutation["name"]!.GetValue<string>();
            var typeName = char.ToUpperInvariant(name[0]) + name[1..];
            if (Shape(mutation["type"]) != $"NON_NULL OBJECT {typeName}Payload")
            {
                failures.Add($"{name} answers {Shape(mutation["type"])}, not {typeName}Payload!");
                continue;
            }

            var errors = Fields(types[typeName + "Payload"]).GetValueOrDefault("errors");
            if (Shape(errors) != $"NON_NULL LIST NON_NULL UNION {typeName}Error")
            {
                failures.Add($"{typeName}Payload.errors is {Shape(errors)}, not [{typeName}Error!]!");
                continue;
            }

            var members = types[typeName + "Error"]["possibleTypes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
            if (!members.Order().SequenceEqual(declared[name].Order()))
            {
                failures.Add($"{typeName}Error has [{string.Join(", ", members)}], declared [{string.Join(", ", declared[name])}]");
            }

            foreach (var member in members.Select(m => types[m]))
            {
                if (!member["interfaces"]!.AsArray().Any(i => i!["name"]!.GetValue<string>() == "Error"))
                {
                    failures.Add($"{member["name"]} in {typeName}Error does not implement Error");
                }

                if (Shape(Fields(member).GetValueOrDefault("code")) != "NON_NULL ENUM SchedulingErrorCode")
                {
                    failures.Add($"{member["name"]}.code is {Shape(Fields(member).GetValueOrDefault("code"))}, not SchedulingErrorCode!");
                }
            }
        }

        Assert.Empty(failures);
        Assert.Equal("NON_NULL ENUM SchedulingErrorCode", Shape(Fields(types["Error"])["code"]));
        Assert.Equal(Enum.GetNames<SchedulingErrorCode>().Select(ConstantCase).Order(),
            types["SchedulingErrorCode"]["enumValues"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).Order());
        Assert.Equal("ENUM AppointmentStatus", Shape(Fields(types["InvalidTransitionError"])["from"]));
        Assert.Equal("NON_NULL ENUM AppointmentStatus", Shape(Fields(types["InvalidTransitionError"])["to"]));
    }

    [Fact]
    public async Task The_edge_turns_a_declared_error_into_the_payload_and_refuses_an_undeclared_one()
    {
        var schema = fixture.Gateway.Services.GetRequiredService<ISchema>();
        schema.Initialize();
        using var scope = fixture.Gateway.Services.CreateScope();
        var refused = 0;
        foreach (var field in schema.Mutation!.Fields)
        {
            var declared = Mutations.PayloadOf(field).Errors;
            foreach (var code in Enum.GetValues<SchedulingErrorCode>())
            {
                var error = Sample(code);
                var context = new ResolveFieldContext { FieldDefinition = field, RequestServices = scope.ServiceProvider };
                Task<MutationPayload<object>> Run() => Mutations.RunAsync<object>(context, "id-1", () => throw new SchedulingException(error));
                if (declared.Contains(code))
                {
                    var payload = await Run();
                    Assert.Equal([error], payload.Errors);
                    Assert.Equal("id-1", payload.ClientMutationId);
                }
                else
                {
                    var e = await Assert.ThrowsAsync<UndeclaredMutationErrorException>(Run);
                    Assert.Contains(field.Name, e.Message, StringComparison.Ordinal);
                    refused++;
                }
            }
        }

        Assert.NotEqual(0, refused);
    }

    /// <summary>What each mutation field's payload declares, as GraphQL type names (from the served schema's own types).</summary>
    private Dictionary<string, List<string>> DeclaredErrors()
    {
        var schema = fixture.Gateway.Services.GetRequiredService<ISchema>();
        schema.Initialize();
        return schema.Mutation!.Fields.ToDictionary(
            f => f.Name,
            f => Mutations.PayloadOf(f).Errors.Select(c => ((IGraphType)Activator.CreateInstance(MutationErrors.GraphTypeOf(c))!).Name).ToList());
    }

    private static SchedulingError Sample(SchedulingErrorCode code) => code switch
    {
        SchedulingErrorCode.SlotUnavailable => new SlotUnavailableError("taken", ["s1"]),
        SchedulingErrorCode.NotFound => new NotFoundError("gone", "Slot", "s1"),
        SchedulingErrorCode.ValidationFailed => new ValidationError("bad", "slotIds"),
        SchedulingErrorCode.InvalidTransition => new InvalidTransitionError("no", "cancelled", "booked"),
        SchedulingErrorCode.Conflict => new ConflictError("changed"),
        SchedulingErrorCode.Forbidden => new AccessDeniedError("not yours"),
        SchedulingErrorCode.ServiceUnavailable => new ServiceUnavailableError("down"),
        SchedulingErrorCode.BookingRule => new BookingRuleError("capped", "practitioner-day-cap", 2),
        _ => throw new ArgumentOutOfRangeException(nameof(code)),
    };

    private static string ConstantCase(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));

    private static Dictionary<string, JsonNode> Fields(JsonNode type) =>
        type["fields"]?.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!["type"]!) ?? [];

    /// <summary>A type reference as <c>NON_NULL LIST NON_NULL UNION Name</c>.</summary>
    private static string Shape(JsonNode? type) =>
        type is null ? "(none)" : type["kind"]!.GetValue<string>() switch
        {
            "NON_NULL" or "LIST" => type["kind"]!.GetValue<string>() + " " + Shape(type["ofType"]),
            var kind => kind + " " + type["name"]!.GetValue<string>(),
        };
}

using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Schema;

/// <summary>
/// The schema's nullability, as one rule over every object type: a field of a FHIR-backed type that serves a single FHIR
/// element is non-null exactly when FHIR R4 requires the element (min=1, read from Hl7.Fhir.R4's ModelInspector); a
/// repeating element, any list and any connection is non-null with non-null items; every connection on an entity (a
/// Node) is non-null. And every element the schema serves as non-null is one the gateway checks on resources from
/// upstream (<see cref="FhirCardinality"/>), so no such field meets a null.
/// </summary>
public sealed class NullabilityTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private ISchema Schema => fixture.Gateway.Services.GetRequiredService<ISchema>();

    [Fact]
    public void Every_field_of_a_FHIR_backed_type_is_non_null_exactly_when_FHIR_requires_its_element()
    {
        var wrong = new List<string>();
        var mapped = 0;
        foreach (var (type, source) in FhirBackedTypes())
        {
            foreach (var field in type.Fields)
            {
                var name = FhirElements.Of(field);
                var element = name is null ? null : FhirCardinality.Element(source, name);
                if (element is null)
                {
                    if (name is not null && name != field.Name)
                    {
                        wrong.Add($"{type.Name}.{field.Name} declares FHIR element '{name}', which {source.Name} does not have");
                    }

                    continue;
                }

                mapped++;
                var shape = field.ResolvedType!;
                if (element.IsCollection)
                {
                    if (!IsNonNullListOfNonNull(shape))
                    {
                        wrong.Add($"{type.Name}.{field.Name}: {shape} serves the repeating {source.Name}.{element.Name}; expected [T!]!");
                    }
                }
                else if (shape is NonNullGraphType != element.IsMandatoryElement)
                {
                    wrong.Add($"{type.Name}.{field.Name}: {shape}, but {source.Name}.{element.Name} is {(element.IsMandatoryElement ? "required" : "optional")} in FHIR R4");
                }
            }
        }

        Assert.True(mapped > 40, $"only {mapped} fields were found mapped to FHIR elements");
        Assert.Empty(wrong);
    }

    [Fact]
    public void Every_list_and_connection_on_a_FHIR_backed_type_is_non_null_with_non_null_items()
    {
        var wrong = new List<string>();
        foreach (var (type, _) in FhirBackedTypes())
        {
            foreach (var field in type.Fields)
            {
                var shape = field.ResolvedType!;
                var inner = shape is NonNullGraphType nonNull ? nonNull.ResolvedType! : shape;
                var isConnection = inner.GetNamedType().Name.EndsWith("Connection", StringComparison.Ordinal);
                if ((inner is ListGraphType && !IsNonNullListOfNonNull(shape)) || (isConnection && shape is not NonNullGraphType))
                {
                    wrong.Add($"{type.Name}.{field.Name}: {shape}");
                }
            }
        }

        Assert.Empty(wrong);
    }

    [Fact]
    public void Every_element_the_schema_serves_as_non_null_is_one_the_upstream_check_requires()
    {
        var unguarded = new List<string>();
        foreach (var (type, source) in FhirBackedTypes())
        {
            var empty = (Base)Activator.CreateInstance(source)!;
            var missing = FhirCardinality.Missing(empty);
            foreach (var field in type.Fields.Where(f => f.ResolvedType is NonNullGraphType { ResolvedType: not ListGraphType }))
            {
                if (FhirElements.Of(field) is { } name && FhirCardinality.Element(source, name) is { } element &&
                    !missing.Any(path => path.EndsWith("." + element.Name, StringComparison.Ordinal)))
                {
                    unguarded.Add($"{type.Name}.{field.Name} ({source.Name}.{element.Name})");
                }
            }
        }

        Assert.Empty(unguarded);
    }

    /// <summary>The object types whose source is a FHIR model class (a resource, component or data type).</summary>
    private IEnumerable<(IObjectGraphType Type, Type Source)> FhirBackedTypes()
    {
        foreach (var type in Schema.AllTypes.OfType<IObjectGraphType>())
        {
            for (var clr = type.GetType(); clr is not null; clr = clr.BaseType)
            {
                if (clr.IsGenericType && clr.GetGenericTypeDefinition() == typeof(ObjectGraphType<>) &&
                    typeof(Base).IsAssignableFrom(clr.GetGenericArguments()[0]))
                {
                    yield return (type, clr.GetGenericArguments()[0]);
                    break;
                }
            }
        }
    }

    private static bool IsNonNullListOfNonNull(IGraphType shape) =>
        shape is NonNullGraphType { ResolvedType: ListGraphType { ResolvedType: NonNullGraphType } };
}

using System.Collections;
using GraphQL;
using GraphQL.Types;
using GraphQL.Utilities;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Identity;

/// <summary>
/// Every ID argument and ID input field of the schema reads ids the same way, through <see cref="GlobalId"/>: what it
/// names is set once on it (<see cref="IdOf"/>) or follows from its name (<c>slotIds</c>: slots, <c>actor</c>: any
/// actor). Resolvers then get what they always got: the FHIR id, or the reference <c>Type/id</c> for actors, or the
/// decoded <see cref="FhirReference"/> for <c>node</c>/<c>nodes</c>, or the <see cref="Booking.OfferedTime"/> an
/// <c>optionId</c> names. An ID argument nobody said the meaning of
/// stops the schema from starting, so no argument can read ids differently from the others.
/// </summary>
public sealed class IdArguments : BaseSchemaNodeVisitor
{
    /// <summary>Metadata key: the resource type an ID argument names, or <see cref="AnyActor"/> / <see cref="AnyEntity"/>.</summary>
    public const string IdOf = "Scheduling.IdOf";

    /// <summary>Any participant or schedule actor; the resolver gets a reference <c>Type/id</c>.</summary>
    public const string AnyActor = "*actor";

    /// <summary>Any entity or availability option (node, nodes); the resolver gets a <see cref="FhirReference"/> (<see cref="GlobalId.ReadNode"/>).</summary>
    public const string AnyEntity = "*entity";

    /// <summary>The FHIR types that can take part in an appointment or own a schedule.</summary>
    public static readonly IReadOnlyCollection<string> ActorTypes =
        ["Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Device", "HealthcareService", "Location"];

    private static readonly Dictionary<string, string> ByPrefix = new(StringComparer.Ordinal)
    {
        ["appointment"] = "Appointment", ["patient"] = "Patient", ["practitioner"] = "Practitioner", ["schedule"] = "Schedule",
        ["slot"] = "Slot", ["location"] = "Location", ["healthcareService"] = "HealthcareService", ["actor"] = AnyActor,
        ["option"] = GlobalId.OptionType,
        ["webhook"] = "Webhook",
    };

    public override void VisitObjectFieldArgumentDefinition(QueryArgument argument, FieldType field, IObjectGraphType type, ISchema schema)
    {
        ArgumentNullException.ThrowIfNull(argument);
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(type);
        if (IsId(argument.ResolvedType))
        {
            var reads = Reader(argument.GetMetadata<string?>(IdOf) ?? Implied(argument.Name), $"{type.Name}.{field.Name}({argument.Name})");
            var inner = argument.Parser;
            argument.Parser = value => Map(inner is null ? value : inner(value), reads)!;
        }
    }

    public override void VisitInputObjectFieldDefinition(FieldType field, IInputObjectGraphType type, ISchema schema)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(type);
        if (IsId(field.ResolvedType))
        {
            var reads = Reader(field.GetMetadata<string?>(IdOf) ?? Implied(field.Name), $"{type.Name}.{field.Name}");
            var inner = field.Parser;
            field.Parser = value => Map(inner is null ? value : inner(value), reads)!;
        }
    }

    /// <summary>What an id argument named <paramref name="name"/> names: <c>slotId</c>, <c>slotIds</c>, <c>actor</c>, <c>actorIds</c>.</summary>
    public static string? Implied(string name)
    {
        var stem = name.EndsWith("Ids", StringComparison.Ordinal) ? name[..^3]
            : name.EndsWith("Id", StringComparison.Ordinal) ? name[..^2]
            : name;
        return ByPrefix.GetValueOrDefault(stem);
    }

    private static Func<string, object> Reader(string? idOf, string where) => idOf switch
    {
        null => throw new InvalidOperationException($"The ID argument {where} does not say what it names: set IdArguments.IdOf or name it after its type."),
        AnyActor => value => GlobalId.ReadAny(value, ActorTypes).ToString(),
        AnyEntity => value => GlobalId.ReadNode(value),
        GlobalId.OptionType => GlobalId.ReadOption,
        _ => value => GlobalId.ReadFhirId(value, idOf),
    };

    private static object? Map(object? value, Func<string, object> reads) => value switch
    {
        null => null,
        string id => reads(id),
        IEnumerable items => items.Cast<object?>().Select(item => Map(item, reads)).ToList(),
        _ => reads(value.ToString() ?? string.Empty),
    };

    private static bool IsId(IGraphType? type) => type?.GetNamedType() is IdGraphType;
}

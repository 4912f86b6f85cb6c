using GraphQL.Types;
using GraphQLParser.AST;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>
/// Prices an operation in FHIR searches before it runs (as Medplum prices its GraphQL): every selected field that
/// loads FHIR data (a resource, a connection, an actor) is one search, aliases and fragment spreads included.
/// Fragments are counted once and multiplied, never expanded, so a fragment bomb costs microseconds to refuse.
/// </summary>
internal static class FhirSearchBudget
{
    private const long Unbounded = long.MaxValue / 4;

    private static readonly HashSet<string> FhirTypes =
        ["Practitioner", "Patient", "Location", "HealthcareService", "Schedule", "Slot", "Appointment", "AppointmentResponse", "Actor"];

    /// <summary>The refusal for an operation over the limits, or null; both transports ask this before executing.</summary>
    public static GraphQLRequestError? Refusal(ISchema schema, GraphQLDocument document, GraphQLOperationDefinition operation, GraphQLHttpOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var (searches, fields) = Count(schema, document, operation);
        if (fields > limits.MaxFields)
        {
            return new(400, "TOO_MANY_FIELDS",
                $"This operation selects {(fields >= Unbounded ? "endlessly many" : fields)} fields once its fragments are expanded; at most {limits.MaxFields} are allowed.");
        }

        return searches > limits.MaxFhirSearches
            ? new(400, "TOO_MANY_FHIR_SEARCHES", $"This operation needs {searches} FHIR searches; at most {limits.MaxFhirSearches} are allowed.")
            : null;
    }

    /// <summary>FHIR searches and fields the operation selects once every fragment is expanded (counted, not expanded).</summary>
    public static (long Searches, long Fields) Count(ISchema schema, GraphQLDocument document, GraphQLOperationDefinition operation)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(operation);
        schema.Initialize(); // resolves field types; a no-op once the schema has run an operation
        var fragments = document.Definitions.OfType<GraphQLFragmentDefinition>()
            .GroupBy(f => f.FragmentName.Name.StringValue)
            .ToDictionary(g => g.Key, g => g.First());
        IComplexGraphType? root = operation.Operation switch
        {
            OperationType.Mutation => schema.Mutation,
            OperationType.Subscription => schema.Subscription,
            _ => schema.Query,
        };
        var cost = new Counter(schema, fragments).Selection(operation.SelectionSet, root);
        return (cost.Searches, cost.Fields);
    }

    private readonly record struct Cost(long Searches, long Fields)
    {
        public static readonly Cost Infinite = new(Unbounded, Unbounded);

        public static Cost operator +(Cost a, Cost b) => new(Add(a.Searches, b.Searches), Add(a.Fields, b.Fields));

        private static long Add(long a, long b) => a > Unbounded - b ? Unbounded : a + b;
    }

    private sealed class Counter(ISchema schema, Dictionary<string, GraphQLFragmentDefinition> fragments)
    {
        private readonly Dictionary<string, Cost> _fragmentCosts = new(StringComparer.Ordinal);
        private readonly HashSet<string> _visiting = new(StringComparer.Ordinal);

        public Cost Selection(GraphQLSelectionSet? set, IComplexGraphType? type)
        {
            var total = default(Cost);
            foreach (var selection in set?.Selections ?? [])
            {
                total += selection switch
                {
                    GraphQLField field => Field(field, type),
                    GraphQLFragmentSpread spread => Fragment(spread.FragmentName.Name.StringValue),
                    GraphQLInlineFragment inline => Selection(inline.SelectionSet, TypeNamed(inline.TypeCondition?.Type.Name.StringValue) ?? type),
                    _ => default,
                };
            }

            return total;
        }

        private Cost Field(GraphQLField field, IComplexGraphType? parent)
        {
            var definition = parent?.GetField(field.Name.StringValue);
            var type = definition?.ResolvedType is { } resolved ? Unwrap(resolved) : null;
            var search = type is not null && (FhirTypes.Contains(type.Name) || type.Name.EndsWith("Connection", StringComparison.Ordinal)) ? 1 : 0;
            return new Cost(search, 1) + Selection(field.SelectionSet, type as IComplexGraphType);
        }

        private Cost Fragment(string name)
        {
            if (_fragmentCosts.TryGetValue(name, out var known))
            {
                return known;
            }

            if (!fragments.TryGetValue(name, out var fragment) || !_visiting.Add(name))
            {
                return Cost.Infinite; // unknown or cyclic: validation will name the error; nothing runs meanwhile
            }

            var cost = Selection(fragment.SelectionSet, TypeNamed(fragment.TypeCondition.Type.Name.StringValue));
            _visiting.Remove(name);
            _fragmentCosts[name] = cost;
            return cost;
        }

        private IComplexGraphType? TypeNamed(string? name) => name is null ? null : schema.AllTypes[name] as IComplexGraphType;

        private static IGraphType Unwrap(IGraphType type) => type switch
        {
            NonNullGraphType nonNull => Unwrap(nonNull.ResolvedType!),
            ListGraphType list => Unwrap(list.ResolvedType!),
            _ => type,
        };
    }
}

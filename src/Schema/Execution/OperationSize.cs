using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Scheduling.Schema.Execution;

/// <summary>What an operation asks for, counted before it runs: FHIR searches, fields and directives.</summary>
public readonly record struct OperationSize(long Searches, long Fields, long Directives)
{
    /// <summary>Stands for "more than any limit": a cyclic or unknown fragment, or a sum past it.</summary>
    public const long Unbounded = long.MaxValue / 4;

    /// <summary>
    /// Field metadata: a <see cref="Func{T, TResult}"/> of <see cref="FieldArguments"/> to the FHIR searches the field
    /// needs, for fields whose cost depends on their arguments (a window of days). Without it a FHIR field costs one.
    /// </summary>
    public const string SearchesMetadata = "scheduling.fhirSearches";

    private static readonly HashSet<string> FhirTypes =
        ["Practitioner", "Patient", "Location", "HealthcareService", "Schedule", "Slot", "Appointment", "AppointmentResponse", "Actor"];

    public static OperationSize operator +(OperationSize a, OperationSize b) =>
        new(Add(a.Searches, b.Searches), Add(a.Fields, b.Fields), Add(a.Directives, b.Directives));

    private static long Add(long a, long b) => a > Unbounded - b ? Unbounded : a + b;

    /// <summary>
    /// Prices <paramref name="operation"/> as Medplum prices its GraphQL: every selected field that loads FHIR data is
    /// one search (or what its <see cref="SearchesMetadata"/> says), aliases and fragment spreads included. Fragments are
    /// counted once and multiplied, never expanded, so a fragment or directive bomb costs microseconds to refuse.
    /// </summary>
    public static OperationSize Of(ISchema schema, GraphQLDocument document, GraphQLOperationDefinition operation, Inputs? variables, int valuesPerSearch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(valuesPerSearch, 1);
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
        var counter = new Counter(schema, fragments, variables ?? Inputs.Empty, valuesPerSearch);
        return new OperationSize(0, 0, operation.Directives?.Count ?? 0) + counter.Selection(operation.SelectionSet, root);
    }

    private sealed class Counter(ISchema schema, Dictionary<string, GraphQLFragmentDefinition> fragments, Inputs variables, int valuesPerSearch)
    {
        private static readonly OperationSize Infinite = new(Unbounded, Unbounded, Unbounded);
        private readonly Dictionary<string, OperationSize> _fragmentSizes = new(StringComparer.Ordinal);
        private readonly HashSet<string> _visiting = new(StringComparer.Ordinal);

        public OperationSize Selection(GraphQLSelectionSet? set, IComplexGraphType? type)
        {
            var total = default(OperationSize);
            foreach (var selection in set?.Selections ?? [])
            {
                total += selection switch
                {
                    GraphQLField field => Field(field, type),
                    GraphQLFragmentSpread spread => Directives(spread.Directives) + Fragment(spread.FragmentName.Name.StringValue),
                    GraphQLInlineFragment inline => Directives(inline.Directives) + Selection(inline.SelectionSet, TypeNamed(inline.TypeCondition?.Type.Name.StringValue) ?? type),
                    _ => default,
                };
            }

            return total;
        }

        private static OperationSize Directives(GraphQLDirectives? directives) => new(0, 0, directives?.Count ?? 0);

        private OperationSize Field(GraphQLField field, IComplexGraphType? parent)
        {
            var definition = parent?.GetField(field.Name.StringValue);
            var type = definition?.ResolvedType is { } resolved ? Unwrap(resolved) : null;
            long searches = definition?.GetMetadata<Func<FieldArguments, long>>(SearchesMetadata) is { } price
                ? Math.Max(1, price(new FieldArguments(field.Arguments, variables)))
                : type is not null && (FhirTypes.Contains(type.Name) || type.Name.EndsWith("Connection", StringComparison.Ordinal)) ? ListSearches(new FieldArguments(field.Arguments, variables)) : 0;
            return new OperationSize(searches, 1, field.Directives?.Count ?? 0) + Selection(field.SelectionSet, type as IComplexGraphType);
        }

        /// <summary>
        /// A FHIR search field with lists in its arguments (ids, references, statuses) searches in chunks of
        /// <c>Fhir:MaxValuesPerSearch</c> values: every list, wherever it sits in the arguments, costs ceil(n / chunk).
        /// </summary>
        private long ListSearches(FieldArguments arguments) =>
            Math.Max(1, arguments.Lists().Sum(n => (n + valuesPerSearch - 1) / valuesPerSearch));

        private OperationSize Fragment(string name)
        {
            if (_fragmentSizes.TryGetValue(name, out var known))
            {
                return known;
            }

            if (!fragments.TryGetValue(name, out var fragment) || !_visiting.Add(name))
            {
                return Infinite; // unknown or cyclic: validation would name the error; nothing runs meanwhile
            }

            var size = Directives(fragment.Directives) + Selection(fragment.SelectionSet, TypeNamed(fragment.TypeCondition.Type.Name.StringValue));
            _visiting.Remove(name);
            _fragmentSizes[name] = size;
            return size;
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

/// <summary>A field's arguments as sent, before validation: literals, and variables looked up; null where unknown.</summary>
public sealed class FieldArguments(GraphQLArguments? arguments, Inputs variables)
{
    /// <summary>The value at a dotted path ("input.start"): a string, number, bool, list or map as sent, or null.</summary>
    public object? this[string path]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(path);
            var parts = path.Split('.');
            object? value = arguments?.FirstOrDefault(a => a.Name.StringValue == parts[0]) is { } argument ? Read(argument.Value) : null;
            foreach (var part in parts.Skip(1))
            {
                value = value is IDictionary<string, object?> map && map.TryGetValue(part, out var inner) ? inner : null;
            }

            return value;
        }
    }

    /// <summary>The length of every list in the arguments, nested ones included.</summary>
    public IEnumerable<long> Lists() => (arguments?.Items ?? []).SelectMany(a => ListLengths(Read(a.Value)));

    /// <summary>The length of every list in a value as sent (variables or literals), nested ones included.</summary>
    public static IEnumerable<long> ListLengths(object? value)
    {
        switch (value)
        {
            case string:
                yield break;
            case IDictionary<string, object?> map:
                foreach (var length in map.Values.SelectMany(ListLengths))
                {
                    yield return length;
                }

                break;
            case System.Collections.IEnumerable list:
                var items = list.Cast<object?>().ToList();
                yield return items.Count;
                foreach (var length in items.SelectMany(ListLengths))
                {
                    yield return length;
                }

                break;
        }
    }

    private object? Read(GraphQLValue value) => value switch
    {
        GraphQLVariable variable => variables.TryGetValue(variable.Name.StringValue, out var sent) ? sent : null,
        GraphQLStringValue text => text.Value.ToString(),
        GraphQLIntValue number => long.TryParse(number.Value.Span, out var n) ? n : null,
        GraphQLBooleanValue flag => flag.BoolValue,
        GraphQLListValue list => list.Values?.Select(Read).ToList() ?? [],
        GraphQLObjectValue map => map.Fields?.GroupBy(f => f.Name.StringValue).ToDictionary(g => g.Key, g => Read(g.First().Value)) ?? [],
        _ => null,
    };
}

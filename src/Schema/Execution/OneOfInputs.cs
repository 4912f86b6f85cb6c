using System.Collections;
using GraphQL;
using GraphQL.DI;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQL.Validation.Errors;
using GraphQLParser;
using GraphQLParser.AST;

namespace Scheduling.Schema.Execution;

/// <summary>
/// A <c>@oneOf</c> input object given none, several, or a null field is refused with one code,
/// <see cref="Code"/>, and a message naming the input type and the fields to choose from, as a literal or inside
/// a variable alike. GraphQL.NET refuses both too, but with a generic message that names neither, and with another
/// code for variables (<c>INVALID_VALUE</c>); its literal refusal at the same place is replaced by this one. A
/// variable is checked here before GraphQL.NET coerces it (an operation with validation errors is not coerced).
/// </summary>
public sealed class OneOfInputs : ValidationRuleBase, ISplitValidationRule
{
    /// <summary>A cached document's literals passed once; its variables are checked on every request.</summary>
    public IValidationRule PerRequest { get; } = new VariablesOnly();

    public const string Code = "ONE_OF_INPUT_VALUES";

    /// <summary>Error data: the places inside a refused literal (its fields and values), where GraphQL.NET may refuse it too.</summary>
    internal const string Covers = "Scheduling.OneOf.Covers";

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new NodeVisitors(
            new MatchingNodeVisitor<GraphQLObjectValue>((node, context) =>
            {
                if (context.TypeInfo.GetInputType()?.GetNamedType() is IInputObjectGraphType { IsOneOf: true } type &&
                    Given(node.Fields?.Select(f => (f.Name.StringValue, f.Value is not GraphQLNullValue))) is { } given)
                {
                    var refusal = new ValidationError(context.Document.Source, "5.6.3", Message(type, given), node) { Code = Code };
                    // GraphQL.NET places its own refusal of a null field at the field and its value.
                    ASTNode[] inside = [.. (node.Fields ?? []).SelectMany(f => new ASTNode[] { f, f.Value })];
                    refusal.Data[Covers] = new ValidationError(context.Document.Source, null, string.Empty, inside).Locations ?? [];
                    context.ReportError(refusal);
                }
            }),
            new MatchingNodeVisitor<GraphQLDocument>(enter: null, leave: (_, context) => CheckVariables(context))));

    /// <summary>What was given, when it is not exactly one non-null field: "none", "a null optionId", "optionId and slotIds".</summary>
    private static string? Given(IEnumerable<(string Name, bool NotNull)>? fields)
    {
        var all = (fields ?? []).ToList();
        return all.Count switch
        {
            1 when all[0].NotNull => null,
            0 => "none",
            1 => "a null " + all[0].Name,
            _ => string.Join(" and ", all.Select(f => f.Name)),
        };
    }

    private static string Message(IInputObjectGraphType type, string given) =>
        $"{type.Name} is a @oneOf input: give exactly one of {string.Join(", ", type.Fields.Select(f => f.Name))}, not null; this one has {given}.";


    /// <summary>The variables' check alone, at the same place (after every node, as no other rule reports on a cached document).</summary>
    private sealed class VariablesOnly : ValidationRuleBase
    {
        public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            CheckVariables(context);
            return default;
        }
    }

    private static void CheckVariables(ValidationContext context)
    {
        foreach (var definition in context.Operation.Variables?.Items ?? [])
        {
            var name = definition.Variable.Name.StringValue;
            if (context.Variables.TryGetValue(name, out var value) && TypeOf(context.Schema, definition.Type) is { } type)
            {
                Walk(context, definition, type, value, "$" + name);
            }
        }
    }

    private static void Walk(ValidationContext context, GraphQLVariableDefinition definition, IGraphType type, object? value, string path)
    {
        switch (type)
        {
            case NonNullGraphType nonNull:
                Walk(context, definition, nonNull.ResolvedType!, value, path);
                break;
            case ListGraphType list when value is IEnumerable items and not string and not IDictionary:
                var index = 0;
                foreach (var item in items)
                {
                    Walk(context, definition, list.ResolvedType!, item, $"{path}[{index++}]");
                }

                break;
            case ListGraphType list:
                Walk(context, definition, list.ResolvedType!, value, path);
                break;
            case IInputObjectGraphType input when value is IDictionary<string, object?> fields:
                if (input.IsOneOf && Given(fields.Select(f => (f.Key, f.Value is not null))) is { } given)
                {
                    context.ReportError(new ValidationError(context.Document.Source, "5.8", $"Variable '{path}' is invalid. {Message(input, given)}", definition) { Code = Code });
                }

                foreach (var field in input.Fields)
                {
                    if (fields.TryGetValue(field.Name, out var inner))
                    {
                        Walk(context, definition, field.ResolvedType!, inner, path + "." + field.Name);
                    }
                }

                break;
        }
    }

    private static IGraphType? TypeOf(ISchema schema, GraphQLType type) => type switch
    {
        GraphQLNonNullType nonNull => TypeOf(schema, nonNull.Type) is { } inner ? new NonNullGraphType(inner) : null,
        GraphQLListType list => TypeOf(schema, list.Type) is { } inner ? new ListGraphType(inner) : null,
        GraphQLNamedType named => schema.AllTypes[named.Name.StringValue],
        _ => null,
    };
}

/// <summary>Leaves out GraphQL.NET's generic refusal of a @oneOf literal where <see cref="OneOfInputs"/> refused it, naming it.</summary>
public sealed class OneOfInputErrors : IConfigureExecution
{
    public float SortOrder => 1;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var result = await next(options).ConfigureAwait(false);
        if (result.Errors is { } errors && errors.Any(e => e.Code == OneOfInputs.Code && e is not OneOfInputValuesError))
        {
            var ours = errors.Where(e => e.Code == OneOfInputs.Code && e is not OneOfInputValuesError)
                .SelectMany(e => (e.Locations ?? []).Concat(e.Data[OneOfInputs.Covers] as IEnumerable<Location> ?? [])).ToHashSet();
            var kept = new ExecutionErrors();
            foreach (var error in errors.Where(e => !(e is OneOfInputValuesError && (e.Locations ?? []).Any(ours.Contains))))
            {
                kept.Add(error);
            }

            result.Errors = kept;
        }

        return result;
    }
}

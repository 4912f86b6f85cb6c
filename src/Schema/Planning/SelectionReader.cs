using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Scheduling.Schema.Planning;

/// <summary>
/// The selection below the field being resolved, as <see cref="SelectedField"/>s: fragments (named and inline)
/// merged in under the type they name, aliases ignored (the field is what counts), <c>@skip</c>/<c>@include</c> applied.
/// </summary>
public static class SelectionReader
{
    private static readonly HashSet<string> PagingArguments = ["first", "after"];

    public static IReadOnlyList<SelectedField> Read(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Read(context, context.FieldDefinition.ResolvedType!.GetNamedType(), context.FieldAst.SelectionSet);
    }

    private static List<SelectedField> Read(IResolveFieldContext context, IGraphType type, GraphQLSelectionSet? selectionSet)
    {
        var fields = new List<SelectedField>();
        foreach (var selection in selectionSet?.Selections ?? [])
        {
            if (selection is IHasDirectivesNode directed && !Included(context, directed))
            {
                continue;
            }

            switch (selection)
            {
                case GraphQLField field when type is IComplexGraphType complex && complex.GetField(field.Name.StringValue) is { } definition:
                    var filtered = field.Arguments?.Items.Any(a => !PagingArguments.Contains(a.Name.StringValue)) ?? false;
                    fields.Add(new SelectedField(type.Name, field.Name.StringValue, filtered,
                        Read(context, definition.ResolvedType!.GetNamedType(), field.SelectionSet)));
                    break;
                case GraphQLInlineFragment inline:
                    fields.AddRange(Read(context, inline.TypeCondition is { } condition ? TypeNamed(context, condition) ?? type : type, inline.SelectionSet));
                    break;
                case GraphQLFragmentSpread spread when context.Document.Definitions.OfType<GraphQLFragmentDefinition>()
                    .FirstOrDefault(d => d.FragmentName.Name.StringValue == spread.FragmentName.Name.StringValue) is { } fragment:
                    fields.AddRange(Read(context, TypeNamed(context, fragment.TypeCondition) ?? type, fragment.SelectionSet));
                    break;
            }
        }

        return fields;
    }

    private static IGraphType? TypeNamed(IResolveFieldContext context, GraphQLTypeCondition condition) =>
        context.Schema.AllTypes[condition.Type.Name.StringValue];

    /// <summary><c>@skip(if:)</c> and <c>@include(if:)</c>, with literal or variable conditions.</summary>
    private static bool Included(IResolveFieldContext context, IHasDirectivesNode node)
    {
        foreach (var directive in node.Directives?.Items ?? [])
        {
            var name = directive.Name.StringValue;
            if (name is not ("skip" or "include"))
            {
                continue;
            }

            var condition = directive.Arguments?.Items.FirstOrDefault(a => a.Name.StringValue == "if")?.Value switch
            {
                GraphQLBooleanValue literal => literal.BoolValue,
                GraphQLVariable variable => context.Variables?.FirstOrDefault(v => v.Name == variable.Name.StringValue)?.Value as bool?,
                _ => null,
            };
            if (condition is { } value && value == (name == "skip"))
            {
                return false;
            }
        }

        return true;
    }
}

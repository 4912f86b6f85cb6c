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

    public static IReadOnlyList<SelectedField> Read(IResolveFieldContext context) => Read(context, out _);

    /// <summary>
    /// The selection, and whether it depends on the operation's variables (a <c>@skip</c>/<c>@include</c> whose
    /// condition is a variable): when it does not, it is a function of the document alone, and can be kept with it.
    /// </summary>
    public static IReadOnlyList<SelectedField> Read(IResolveFieldContext context, out bool usesVariables)
    {
        ArgumentNullException.ThrowIfNull(context);
        var reading = new Reading(context);
        var selection = reading.Read(context.FieldDefinition.ResolvedType!.GetNamedType(), context.FieldAst.SelectionSet);
        usesVariables = reading.UsesVariables;
        return selection;
    }

    private sealed class Reading(IResolveFieldContext context)
    {
        public bool UsesVariables { get; private set; }

        public List<SelectedField> Read(IGraphType type, GraphQLSelectionSet? selectionSet)
        {
            var fields = new List<SelectedField>();
            foreach (var selection in selectionSet?.Selections ?? [])
            {
                if (selection is IHasDirectivesNode directed && !Included(directed))
                {
                    continue;
                }

                switch (selection)
                {
                    case GraphQLField field when type is IComplexGraphType complex && complex.GetField(field.Name.StringValue) is { } definition:
                        var filtered = field.Arguments?.Items.Any(a => !PagingArguments.Contains(a.Name.StringValue)) ?? false;
                        fields.Add(new SelectedField(type.Name, field.Name.StringValue, filtered,
                            Read(definition.ResolvedType!.GetNamedType(), field.SelectionSet)));
                        break;
                    case GraphQLInlineFragment inline:
                        fields.AddRange(Read(inline.TypeCondition is { } condition ? TypeNamed(condition) ?? type : type, inline.SelectionSet));
                        break;
                    case GraphQLFragmentSpread spread when context.Document.Definitions.OfType<GraphQLFragmentDefinition>()
                        .FirstOrDefault(d => d.FragmentName.Name.StringValue == spread.FragmentName.Name.StringValue) is { } fragment:
                        fields.AddRange(Read(TypeNamed(fragment.TypeCondition) ?? type, fragment.SelectionSet));
                        break;
                }
            }

            return fields;
        }

        private IGraphType? TypeNamed(GraphQLTypeCondition condition) =>
            context.Schema.AllTypes[condition.Type.Name.StringValue];

        /// <summary><c>@skip(if:)</c> and <c>@include(if:)</c>, with literal or variable conditions.</summary>
        private bool Included(IHasDirectivesNode node)
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
                    GraphQLVariable variable => Variable(variable),
                    _ => null,
                };
                if (condition is { } value && value == (name == "skip"))
                {
                    return false;
                }
            }

            return true;
        }

        private bool? Variable(GraphQLVariable variable)
        {
            UsesVariables = true;
            return context.Variables?.FirstOrDefault(v => v.Name == variable.Name.StringValue)?.Value as bool?;
        }
    }
}

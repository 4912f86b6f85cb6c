using GraphQLParser.AST;

namespace Scheduling.Schema.Execution;

/// <summary>
/// What a whole document asks GraphQL's validation to walk, counted before it does: GraphQL.NET validates every
/// definition (operations not selected and fragments never spread included), so a bomb can hide outside the selected
/// operation. Each operation and each fragment body is counted once, not expanded. <see cref="MostSameName"/> bounds
/// the "overlapping fields can be merged" rule, which compares every pair of selections sharing a response name in
/// one selection set (inline fragments and spread fragments merged in, as the rule merges them): capped, the rule's
/// work grows with the document instead of with its square.
/// </summary>
public readonly record struct DocumentSize(long Fields, long Directives, long MostSameName, string? SameName)
{
    public static DocumentSize Of(GraphQLDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var walker = new Walker(document.Definitions.OfType<GraphQLFragmentDefinition>()
            .GroupBy(f => f.FragmentName.Name.StringValue)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal));
        foreach (var definition in document.Definitions)
        {
            switch (definition)
            {
                case GraphQLOperationDefinition operation:
                    walker.Directives(operation.Directives);
                    foreach (var variable in operation.Variables?.Items ?? [])
                    {
                        walker.Directives(variable.Directives);
                    }

                    walker.Set(operation.SelectionSet);
                    break;
                case GraphQLFragmentDefinition fragment:
                    walker.Directives(fragment.Directives);
                    walker.Set(fragment.SelectionSet);
                    break;
            }
        }

        return walker.Size;
    }

    /// <summary>The length of every list literal in the document's arguments (fields and directives), nested ones included.</summary>
    public static IEnumerable<long> ListLengths(GraphQLDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var lengths = new List<long>();
        var pending = new Stack<ASTNode>(document.Definitions);
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case GraphQLListValue list:
                    lengths.Add(list.Values?.Count ?? 0);
                    PushAll(pending, list.Values);
                    break;
                case GraphQLObjectValue map:
                    PushAll(pending, map.Fields?.Select(f => f.Value));
                    break;
                case GraphQLOperationDefinition operation:
                    PushAll(pending, operation.Directives?.Items);
                    PushAll(pending, operation.Variables?.Items.Where(v => v.DefaultValue is not null).Select(v => v.DefaultValue!));
                    pending.Push(operation.SelectionSet);
                    break;
                case GraphQLFragmentDefinition fragment:
                    PushAll(pending, fragment.Directives?.Items);
                    pending.Push(fragment.SelectionSet);
                    break;
                case GraphQLSelectionSet set:
                    PushAll(pending, set.Selections);
                    break;
                case GraphQLField field:
                    PushAll(pending, field.Arguments?.Items.Select(a => a.Value));
                    PushAll(pending, field.Directives?.Items);
                    if (field.SelectionSet is not null)
                    {
                        pending.Push(field.SelectionSet);
                    }

                    break;
                case GraphQLInlineFragment inline:
                    PushAll(pending, inline.Directives?.Items);
                    pending.Push(inline.SelectionSet);
                    break;
                case GraphQLFragmentSpread spread:
                    PushAll(pending, spread.Directives?.Items);
                    break;
                case GraphQLDirective directive:
                    PushAll(pending, directive.Arguments?.Items.Select(a => a.Value));
                    break;
            }
        }

        return lengths;
    }

    private static void PushAll(Stack<ASTNode> pending, IEnumerable<ASTNode>? nodes)
    {
        foreach (var node in nodes ?? [])
        {
            pending.Push(node);
        }
    }

    private sealed class Walker(Dictionary<string, GraphQLFragmentDefinition> fragments)
    {
        private readonly Dictionary<string, Dictionary<string, long>> _fragmentNames = new(StringComparer.Ordinal);
        private readonly HashSet<string> _visiting = new(StringComparer.Ordinal);

        public DocumentSize Size { get; private set; }

        public void Directives(GraphQLDirectives? directives) =>
            Size = Size with { Directives = Size.Directives + (directives?.Count ?? 0) };

        /// <summary>Counts one selection set's fields and directives (nested sets included) and its response names.</summary>
        public void Set(GraphQLSelectionSet? set)
        {
            if (set is null)
            {
                return;
            }

            var names = new Dictionary<string, long>(StringComparer.Ordinal);
            Collect(set, names, count: true);
            foreach (var (name, times) in names.Where(n => n.Value > Size.MostSameName))
            {
                Size = Size with { MostSameName = times, SameName = name };
            }
        }

        /// <summary>
        /// Adds the response names the merge rule sees in <paramref name="set"/> to <paramref name="names"/>: its fields,
        /// its inline fragments' (flattened) and each spread fragment's once, besides the spread itself.
        /// </summary>
        private void Collect(GraphQLSelectionSet set, Dictionary<string, long> names, bool count)
        {
            HashSet<string>? spread = null;
            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField field:
                        Add(names, (field.Alias?.Name ?? field.Name).StringValue, 1);
                        if (count)
                        {
                            Size = Size with { Fields = Size.Fields + 1 };
                            Directives(field.Directives);
                            Set(field.SelectionSet);
                        }

                        break;
                    case GraphQLInlineFragment inline:
                        if (count)
                        {
                            Directives(inline.Directives);
                        }

                        Collect(inline.SelectionSet, names, count);
                        break;
                    case GraphQLFragmentSpread fragmentSpread:
                        var name = fragmentSpread.FragmentName.Name.StringValue;
                        Add(names, "..." + name, 1);
                        if (count)
                        {
                            Directives(fragmentSpread.Directives);
                        }

                        if ((spread ??= new(StringComparer.Ordinal)).Add(name))
                        {
                            foreach (var (field, times) in FragmentNames(name))
                            {
                                Add(names, field, times);
                            }
                        }

                        break;
                }
            }
        }

        /// <summary>A fragment's response names as merged into where it is spread; nothing for an unknown or cyclic one (validation names those).</summary>
        private Dictionary<string, long> FragmentNames(string name)
        {
            if (_fragmentNames.TryGetValue(name, out var known))
            {
                return known;
            }

            var names = new Dictionary<string, long>(StringComparer.Ordinal);
            if (fragments.TryGetValue(name, out var fragment) && _visiting.Add(name))
            {
                Collect(fragment.SelectionSet, names, count: false);
                _visiting.Remove(name);
                _fragmentNames[name] = names;
            }

            return names;
        }

        private static void Add(Dictionary<string, long> names, string name, long times) =>
            names[name] = names.TryGetValue(name, out var before) ? before + times : times;
    }
}

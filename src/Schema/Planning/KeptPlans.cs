using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Scheduling.Schema.Planning;

/// <summary>A field's selection, its plan as if every include were supported, and that plan's includes as a signature.</summary>
internal sealed record SelectionPlan(IReadOnlyList<SelectedField> Selection, IncludePlan Plan, string Signature);

/// <summary>
/// The plans kept with one field node of a parsed document (<see cref="QueryPlanner.Optimistic"/>): read without a
/// lock, and a plan computed twice by racing fields is the same plan.
/// </summary>
internal sealed class KeptPlans(ISchema schema, FieldType definition, string itemType, IReadOnlyList<SelectedField> selection)
{
    private static readonly ConditionalWeakTable<GraphQLField, KeptPlans> Known = [];

    private SelectionPlan? _seesEverything;
    private SelectionPlan? _narrowed;

    public IReadOnlyList<SelectedField> Selection => selection;

    public static bool TryGetValue(GraphQLField field, [NotNullWhen(true)] out KeptPlans? kept) =>
        Known.TryGetValue(field, out kept);

    public static void Add(GraphQLField field, KeptPlans kept) => Known.AddOrUpdate(field, kept);

    /// <summary>Whether they were made for this field as it resolves here (same schema, definition and item type).</summary>
    public bool Fits(IResolveFieldContext context, string type) =>
        ReferenceEquals(context.Schema, schema) && ReferenceEquals(context.FieldDefinition, definition) && type == itemType;

    public SelectionPlan? For(bool seesEverything) => Volatile.Read(ref seesEverything ? ref _seesEverything : ref _narrowed);

    public SelectionPlan Keep(bool seesEverything, SelectionPlan plan)
    {
        Volatile.Write(ref seesEverything ? ref _seesEverything : ref _narrowed, plan);
        return plan;
    }
}

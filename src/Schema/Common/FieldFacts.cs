using System.Runtime.CompilerServices;
using GraphQL;
using GraphQL.Types;

namespace Scheduling.Schema.Common;

/// <summary>
/// What the field middlewares need to know of a field definition, decided once per definition (the schema's field
/// definitions live as long as the schema) instead of on every field of every operation: whether its values can hold
/// resources at all. A scalar or enum field (and introspection) cannot: the middlewares pass its resolution through
/// untouched, without an async frame or an allocation.
/// </summary>
internal static class FieldFacts
{
    private static readonly ConditionalWeakTable<FieldType, object> Known = [];
    private static readonly object Yes = true;
    private static readonly object No = false;

    /// <summary>Fields of an object, interface or union type of this API (not scalars, enums or introspection).</summary>
    public static bool CanHoldResources(IResolveFieldContext context)
    {
        // Read without a lock; a definition's first use computes it (racing first uses compute the same).
        if (!Known.TryGetValue(context.FieldDefinition, out var known))
        {
            known = Decide(context) ? Yes : No;
            Known.AddOrUpdate(context.FieldDefinition, known);
        }

        return ReferenceEquals(known, Yes);
    }

    private static bool Decide(IResolveFieldContext context) =>
        !context.ParentType.Name.StartsWith("__", StringComparison.Ordinal) &&
        context.FieldDefinition.ResolvedType?.GetNamedType() is IComplexGraphType or UnionGraphType &&
        !context.FieldDefinition.ResolvedType.GetNamedType().Name.StartsWith("__", StringComparison.Ordinal);
}

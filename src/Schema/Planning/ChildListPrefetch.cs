using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQLParser.AST;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;

namespace Scheduling.Schema.Planning;

/// <summary>
/// A by-id root field's nested lists of what points at it (<c>patient(id:) { appointments(where:) }</c>): their
/// lookups depend only on the root's id argument, not on what the root's read answers, so they are started with the
/// root's read, keyed exactly as their resolvers will ask (the field's own <see cref="ReverseList"/>, with the
/// arguments GraphQL.NET hands the field's resolver), and each resolver then finds its answer in the DataLoader's
/// per-request cache: one round trip of wall time instead of two, the same requests. What cannot be keyed before the
/// root resolves is left alone (the field asks as it always did): a field not in the navigation table or without a
/// <see cref="ReverseList"/>, arguments whose reading throws (the field answers that error itself), a list the root's
/// own planned search covers. If the root answers nothing, its fields never run and the answer is never served.
/// </summary>
internal static class ChildListPrefetch
{
    /// <summary>
    /// Starts the lookups of the lists below the root field being resolved (<paramref name="root"/>) when it is the
    /// <paramref name="ownerType"/> with id <paramref name="ownerId"/>; <paramref name="covered"/>: the navigations the
    /// root's planned search brings (their lists are primed by it, never prefetched).
    /// </summary>
    public static void Start(
        IResolveFieldContext root,
        IObjectGraphType ownerType,
        string ownerId,
        IReadOnlyCollection<Navigation> covered,
        QueryPlanner planner,
        ReferencingResourcesDataLoader referencing)
    {
        if (ChildFields(root, ownerType) is not { Count: > 0 } children)
        {
            return;
        }

        List<IDataLoaderResult<IReadOnlyList<Resource>>>? loads = null;
        foreach (var (field, definition) in children.Values)
        {
            if (Navigations.Of(ownerType.Name, definition.Name) is not { Reverse: true } navigation || covered.Contains(navigation) ||
                ReverseList.Of(definition) is not { } list || Keyed(root, ownerType, field, definition, list, ownerId) is not var (child, key))
            {
                continue;
            }

            // Planned as the field's resolver plans it (its includes), so the search is the one it would send.
            (loads ??= []).Add(referencing.Load(planner.Lookup(child, list.ItemType, key.Filter, key.Parameter, key.Target)));
        }

        // Queued first, then dispatched: lists of one search (one type and filter) go out together, as a level does.
        foreach (var load in loads ?? [])
        {
            Observe(load.GetResultAsync(root.CancellationToken));
        }
    }

    /// <summary>
    /// The fields GraphQL.NET will execute below the root once it is an <paramref name="ownerType"/>: collected by its
    /// own execution strategy (fragments, type conditions, <c>@skip</c>/<c>@include</c> on the operation's variables,
    /// fields of one response name merged), as it collects them after the root has resolved. The strategy collects a
    /// node's fields against its field's type; for <c>node(id:)</c> (an interface) that is the resolved type, which the
    /// id names here before the read: the node is given a field of that type.
    /// </summary>
    private static Dictionary<string, (GraphQLField Field, FieldType FieldType)>? ChildFields(IResolveFieldContext root, IObjectGraphType ownerType) =>
        root.ExecutionContext is GraphQL.Execution.ExecutionContext execution
            ? execution.ExecutionStrategy.GetSubFields(
                execution, new ObjectExecutionNode(null!, ownerType, root.FieldAst, new FieldType { Name = root.FieldDefinition.Name, ResolvedType = ownerType }, null))
            : null;

    /// <summary>The child field's context as its resolver sees it, so far as a key reads it, and the key it asks.</summary>
    private static (IResolveFieldContext Child, ReverseLookup Key)? Keyed(
        IResolveFieldContext root, IObjectGraphType ownerType, GraphQLField field, FieldType definition, ReverseList list, string ownerId)
    {
        var child = new ResolveFieldContext(root)
        {
            FieldAst = field,
            FieldDefinition = definition,
            ParentType = ownerType,
            Arguments = root.ExecutionContext.GetArguments(definition, field),
            Directives = root.ExecutionContext.GetDirectives(field),
            Source = null,
            SubFields = null,
        };
        try
        {
            return (child, list.Ask(child, ownerId).Key);
        }
#pragma warning disable CA1031 // Whatever reading its arguments throws, the field throws again in its own place.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    /// <summary>A prefetch whose root answered nothing is never awaited: its failure must not go unobserved.</summary>
    private static void Observe(System.Threading.Tasks.Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}

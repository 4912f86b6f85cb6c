using GraphQL;
using GraphQL.Builders;
using GraphQL.DataLoader;
using GraphQLParser.AST;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Planning;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.Common;

/// <summary>
/// The request's services, as resolvers reach them: from the operation's <see cref="OperationServices"/> (resolved once
/// as it started), from its scope only where an operation was started without them.
/// </summary>
public static class ResolveContextExtensions
{
    public static ResourceByIdDataLoader ById(this IResolveFieldContext context) =>
        OperationServices.Of(context)?.ById ?? Service<ResourceByIdDataLoader>(context);

    public static ReferencingResourcesDataLoader Referencing(this IResolveFieldContext context) =>
        OperationServices.Of(context)?.Referencing ?? Service<ReferencingResourcesDataLoader>(context);

    /// <summary>The operation's query planner; null where the schema runs without one.</summary>
    public static QueryPlanner? Planner(this IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return OperationServices.Of(context) is { } operation ? operation.Planner : context.RequestServices?.GetService<QueryPlanner>();
    }

    /// <summary>
    /// A nested list: what points at the key's target through its parameter under its filter, batched, and in a query
    /// planned with the includes its selection needs (<see cref="QueryPlanner.Lookup"/>). Mutations and subscriptions
    /// load it unplanned. The key is built by <c>ReverseList</c>, the one place a reverse-list field builds it.
    /// </summary>
    public static IDataLoaderResult<IReadOnlyList<T>> LoadReferencing<T>(this IResolveFieldContext context, ReverseLookup key)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(key);
        var lookup = context.Operation.Operation == OperationType.Query && context.Planner() is { } planner
            ? planner.Lookup(context, FhirTypeName<T>.Value, key.Filter, key.Parameter, key.Target)
            : key;
        return context.Referencing().Load<T>(lookup);
    }

    public static IFhirStore Fhir(this IResolveFieldContext context) =>
        OperationServices.Of(context)?.Fhir ?? Service<IFhirStore>(context);

    public static SchedulingAccess Access(this IResolveFieldContext context) =>
        SchedulingAccess.Of(context) ?? Service<SchedulingAccess>(context);

    /// <summary>Drops this request's cached reads: after a write, or before resolving the next event of a long subscription.</summary>
    public static void ForgetReads(this IResolveFieldContext context)
    {
        context.ById().ClearAll();
        context.Referencing().ClearAll();
        if (OperationServices.Of(context) is { } operation)
        {
            operation.Verdicts.Clear();
            operation.Visible.Clear();
        }
    }

    /// <summary>
    /// A subscription field's per-event resolver: the event itself, with this long-lived operation's cached reads
    /// dropped first, so each event's nested fields are read afresh through the DataLoaders, and those reads shared
    /// with every other subscriber of the same event (<see cref="EventReads"/>). The event's id goes out in the result's
    /// extensions (<see cref="ChangeSubscription.EventIdExtension"/>); a <see cref="RefetchRequired"/> goes out as the
    /// subscription's own typed event, made by <paramref name="refetchEvent"/>.
    /// </summary>
    public static FieldBuilder<object?, TReturn> ResolveEachEventFresh<TReturn>(
        this FieldBuilder<object?, TReturn> field, Func<RefetchRequired, TReturn> refetchEvent)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(refetchEvent);
        return field.Resolve(c =>
        {
            c.ForgetReads();
            if (c.Source is RefetchRequired refetch)
            {
                SetEventId(c, refetch.EventId);
                return refetchEvent(refetch);
            }

            if (c.Source is IChangeEvent change)
            {
                SetEventId(c, change.Change.EventId);
                EventReads.Join(c.RequestServices ?? throw new InvalidOperationException("GraphQL request without services."), change.Change);
                return (TReturn?)change.Value;
            }

            return (TReturn?)c.Source;
        });
    }

    /// <summary>The event's place in the change stream, in the result's extensions: what the client resumes after.</summary>
    private static void SetEventId(IResolveFieldContext context, ChangeEventId? id)
    {
        if (id is { } eventId)
        {
            context.OutputExtensions[ChangeSubscription.EventIdExtension] = eventId.ToString();
        }
    }

    /// <summary>Whether the query selected a field of the result (to ask FHIR only for what is used).</summary>
    public static bool Selects(this IResolveFieldContext context, string field) =>
        context.SubFields?.ContainsKey(field) == true;

    private static T Service<T>(IResolveFieldContext context)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(context);
        return (context.RequestServices ?? throw new InvalidOperationException("GraphQL request without services."))
            .GetRequiredService<T>();
    }
}

using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Execution;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Webhooks;

namespace Scheduling.Schema.Identity;

/// <summary>
/// <c>node(id:)</c> and <c>nodes(ids:)</c>: any entity by its global id, read through the same batched loader as the
/// typed root fields, and checked by the same access rules (<see cref="AccessFieldMiddleware"/>): what the caller may
/// not see is null with a FORBIDDEN error, like a missing appointment or patient. An availability option is a node
/// too: asked by id, it is availability's answer for its schedule and span, null once it is no longer offered.
/// </summary>
public static class NodeQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Field<NodeInterface>("node")
            .Description("Any entity by its global id; null when there is none.")
            .Argument<NonNullGraphType<IdGraphType>>("id", a =>
            {
                a.Description = "A global id (a FHIR reference Type/id is accepted for a transition period).";
                a.WithMetadata(IdArguments.IdOf, IdArguments.AnyEntity);
            })
            .WithMetadata(OperationSize.SearchesMetadata, (Func<FieldArguments, long>)(a => 1 + OptionIdsIn(a["id"]) * OptionSearches))
            .Resolve(c =>
            {
                var id = c.GetArgument<FhirReference>("id");
                // A type the caller's role does not read (webhooks: admins only) is refused before any read, present or not.
                return c.Access().MayRead(id.ResourceType) ? Load(c, id) : throw ForbiddenError.NotYours(id.ResourceType, id.Id);
            });

        query.Field<NonNullGraphType<ListGraphType<NodeInterface>>>("nodes")
            .Description("Entities by global id, in the order asked, null where there is none; at most GraphQL:MaxNodeIds ids.")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("ids", a =>
            {
                a.Description = "Global ids (FHIR references Type/id are accepted for a transition period).";
                a.WithMetadata(IdArguments.IdOf, IdArguments.AnyEntity);
            })
            .WithMetadata(OperationSize.SearchesMetadata, (Func<FieldArguments, long>)(a => 1 + OptionIdsIn(a["ids"]) * OptionSearches))
            .ResolveAsync(async c =>
            {
                var ids = c.GetArgument<List<FhirReference>>("ids");
                var max = c.RequestServices!.GetRequiredService<IOptions<GraphQLOptions>>().Value.MaxNodeIds;
                if (ids.Count > max)
                {
                    throw new ExecutionError($"nodes takes at most {max} ids; {ids.Count} were asked.") { Code = "TOO_MANY_IDS" };
                }

                // Patients the caller may not see are not even looked up (the access middleware answers them FORBIDDEN).
                var refused = await c.Access().RefusedBeforeReadAsync(ids, c.CancellationToken);
                // Types the caller's role does not read are null with the same FORBIDDEN error node(id:) gives.
                var unread = ids.Select((id, i) => (id, i)).Where(x => !c.Access().MayRead(x.id.ResourceType)).ToList();
                foreach (var (id, i) in unread)
                {
                    var denial = ForbiddenError.NotYours(id.ResourceType, id.Id);
                    denial.Path = c.ResponsePath.Append(i);
                    c.Errors.Add(denial);
                }

                var loads = ids.Select(id => refused.Contains(id) || !c.Access().MayRead(id.ResourceType) ? null : Load(c, id)).ToList();
                var found = new List<object?>(loads.Count);
                foreach (var load in loads)
                {
                    found.Add(load is null ? null : await load.GetResultAsync(c.CancellationToken));
                }

                return (object)found;
            });
    }

    /// <summary>What an availability option asked by id costs: its schedule, its slots and its actors' appointments.</summary>
    public const int OptionSearches = 3;

    /// <summary>How many option ids an argument sends (entities are batched: the first search prices them).</summary>
    private static long OptionIdsIn(object? value) => value switch
    {
        string id => GlobalId.TryDecodeOption(id, out _) ? 1 : 0,
        System.Collections.IEnumerable ids => ids.Cast<object?>().Sum(OptionIdsIn),
        _ => 0,
    };

    /// <summary>An entity through the batched loader; an availability option by asking availability again (null once it is no longer offered).</summary>
    private static IDataLoaderResult<object?> Load(IResolveFieldContext context, FhirReference id) => id.ResourceType switch
    {
        GlobalId.OptionType when GlobalId.TryDecodeOption(id.Id, out var offered) =>
            new DeferredResult<object?>(async _ => await AvailabilityQueries.FindAsync(context, offered)),
        GlobalId.DeliveryType when GlobalId.TryDecodeDelivery(id.Id, out var delivery) =>
            new DeferredResult<object?>(async _ => await Webhooks(context).FindDeliveryOrNullAsync(delivery.WebhookId, delivery.Cursor, context.CancellationToken)),
        WebhookRegistry.TypeName => new DeferredResult<object?>(async _ => await Webhooks(context).FindOrNullAsync(id.Id, context.CancellationToken)),
        _ => LoadResource(context, id),
    };

    /// <summary>A FHIR resource, its lists of what points at it asked with it (<see cref="Planning.QueryPlanner.PrefetchChildLists"/>).</summary>
    private static IDataLoaderResult<object?> LoadResource(IResolveFieldContext context, FhirReference id)
    {
        if (context.FieldDefinition.Name == "node")
        {
            context.Planner()?.PrefetchChildLists(context, id.ResourceType, id.Id, plannedRoot: false);
        }

        return context.ById().Load(id).Then<Resource?, object?>(r => r);
    }

    private static WebhookRegistry Webhooks(IResolveFieldContext context) => context.RequestServices!.GetRequiredService<WebhookRegistry>();
}

using GraphQL;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Planning;

namespace Scheduling.Schema.Common;

/// <summary>
/// The request-scoped services the fields of one operation reach on every field (its DataLoaders, FHIR access, the
/// planner, the caller's access), resolved once as the operation starts and kept in its user context
/// (<see cref="SchemaServiceCollectionExtensions"/>): a resolution from the scope takes the scope's lock, and the fields
/// of one operation complete on several threads. Each operation has its own scope (an HTTP request, a socket's
/// operation), and a subscription keeps its scope, and so these instances, for as long as it runs: its per-event fresh
/// reads clear and re-share these same DataLoaders (<see cref="ResolveContextExtensions.ResolveEachEventFresh{TReturn}"/>).
/// The per-operation verdicts of <see cref="CardinalityFieldMiddleware"/> and <see cref="AccessFieldMiddleware"/> live here too.
/// </summary>
public sealed class OperationServices
{
    /// <summary>Where an operation keeps them in <see cref="IProvideUserContext.UserContext"/>.</summary>
    public const string UserContextKey = "Scheduling.OperationServices";

    /// <summary>From the operation's scope, with the access already resolved there for it.</summary>
    public OperationServices(IServiceProvider services, SchedulingAccess access)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(access);
        ById = services.GetRequiredService<ResourceByIdDataLoader>();
        Referencing = services.GetRequiredService<ReferencingResourcesDataLoader>();
        Fhir = services.GetRequiredService<IFhirStore>();
        Access = access;
        Planner = services.GetService<QueryPlanner>();
    }

    public ResourceByIdDataLoader ById { get; }

    public ReferencingResourcesDataLoader Referencing { get; }

    public IFhirStore Fhir { get; }

    public SchedulingAccess Access { get; }

    /// <summary>Null where the schema runs without one.</summary>
    public QueryPlanner? Planner { get; }

    /// <summary>Which resources this operation handed out were found whole, or lacking what (each walked once).</summary>
    internal ResourceVerdicts Verdicts { get; } = new();

    /// <summary>Which records this operation found its caller may see (<see cref="AccessFieldMiddleware"/>, each decided once).</summary>
    internal VisibleResources Visible { get; } = new();

    /// <summary>The operation's, when it was started with them (every operation of the schema is); null otherwise.</summary>
    public static OperationServices? Of(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserContext is { } user && user.TryGetValue(UserContextKey, out var kept) ? kept as OperationServices : null;
    }
}

using System.Globalization;
using GraphQL;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Caching;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Slots;

namespace Scheduling.Schema.Planning;

/// <summary>
/// Sends a root field's search (by id, or a root list's page) with the includes its selection needs
/// (<see cref="IncludePlanner"/>, as far as the server supports them: <see cref="FhirCapabilities"/>) and primes the
/// request's DataLoaders with what came back, keyed exactly as the resolvers below will ask: included resources by
/// reference (and the cached types into the shared cache, as a load would), and each planned nested list under the
/// search its resolver makes with no arguments. Whatever it cannot vouch for it leaves unprimed, and the DataLoaders
/// ask as they always did.
/// </summary>
public sealed class QueryPlanner(
    IFhirStore store,
    ResourceByIdDataLoader byId,
    ReferencingResourcesDataLoader referencing,
    SchedulingAccess access,
    FhirResourceCache cache,
    FhirCapabilities capabilities,
    IOptions<FhirOptions> fhir)
{
    /// <summary>
    /// The page of <paramref name="query"/> (a search of <paramref name="rootType"/>) with the selection below the
    /// field planned; null when nothing is worth planning (the caller then searches as without a planner). A query
    /// without <c>_count</c> gets <c>Fhir:PageSize</c>. <paramref name="matchesAreLoads"/>: the matches stand for a
    /// load by id (a by-id root field), so the cached types among them are cached as that load would have.
    /// </summary>
    public async Task<FhirSearchPage?> SearchAsync(IResolveFieldContext context, string rootType, FhirQuery query, bool matchesAreLoads)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(query);
        // Planned as if the server supported every include first: a selection with nothing to plan never asks for metadata.
        if (fhir.Value.Includes == FhirIncludes.Off || Optimistic(context, rootType) is not { Plan.IsEmpty: false } optimistic)
        {
            return null;
        }

        var selection = optimistic.Selection;

        var support = await capabilities.IncludesAsync(store, context.CancellationToken);
        var plan = IncludePlanner.Plan(rootType, selection, n => support.Supports(n.Reverse, n.Source, n.Parameter, n.OwnerType), IsDefaultUnfiltered);
        if (plan.IsEmpty)
        {
            return null;
        }

        var planned = query.Clone();
        if (planned.Get("_count") is null)
        {
            planned.Count(fhir.Value.PageSize);
        }

        foreach (var include in plan.Includes)
        {
            planned.Include(include);
        }

        var mark = cache.RemovalMark;
        var page = await store.SearchAsync(planned, context.CancellationToken);
        foreach (var resource in page.Resources.Concat(page.Included))
        {
            byId.Prime(resource);
        }

        await cache.CacheFoundAsync(matchesAreLoads ? page.Resources.Concat(page.Included) : page.Included, mark, context.CancellationToken);
        if (Split(page, int.Parse(planned.Get("_count")!, CultureInfo.InvariantCulture)))
        {
            // Its matches are not the page asked for: the caller searches again without includes.
            return null;
        }

        if (!page.HasWarnings)
        {
            // A warning (an OperationOutcome: includes cut short, a parameter ignored) leaves the lists to the DataLoaders.
            Prime(plan, page);
        }

        return page;
    }

    /// <summary>
    /// Starts, with the read of the by-id root field being resolved (<paramref name="rootType"/> <paramref name="id"/>),
    /// the lookups of its nested lists of what points at it (<see cref="ChildListPrefetch"/>), keyed as their
    /// resolvers will ask. <paramref name="plannedRoot"/>: the root is read through <see cref="SearchAsync"/>, whose
    /// planned search brings the lists its plan covers (those are left to it). Only for callers who see everything (a
    /// patient's or practitioner's lists are narrowed, and no search for another's records may go out because of a
    /// prefetch), in queries, with the planner on (<c>Fhir:Includes</c> not Off) and the DataLoaders batching (their
    /// per-request cache is where the field finds the answer).
    /// </summary>
    public void PrefetchChildLists(IResolveFieldContext context, string rootType, string id, bool plannedRoot)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (fhir.Value.Includes == FhirIncludes.Off || !access.SeesEverything || !referencing.CachesPerRequest ||
            context.Operation.Operation != GraphQLParser.AST.OperationType.Query || !FhirReference.IsValidId(id) ||
            context.Schema.AllTypes[rootType] is not GraphQL.Types.IObjectGraphType ownerType)
        {
            return;
        }

        var covered = plannedRoot ? Optimistic(context, rootType).Plan.Steps.Select(s => s.Navigation).ToHashSet() : [];
        ChildListPrefetch.Start(context, ownerType, id, covered, this, referencing);
    }

    /// <summary>
    /// The lookup a nested list of <paramref name="itemType"/> (what points at <paramref name="target"/> through
    /// <paramref name="parameter"/>, under <paramref name="filter"/>) loads through the DataLoader, planned when the
    /// selection below it has something to include: a list the root's plan could not cover (filtered by its
    /// arguments, below a field the root's plan does not follow) then brings its own level and those below in one
    /// search per batch. Whatever the root's plan primed is still found: the plan is not part of the key.
    /// </summary>
    public ReverseLookup Lookup(IResolveFieldContext context, string itemType, FhirQuery filter, string parameter, FhirReference target)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lookup = new ReverseLookup(filter, parameter, target);
        if (fhir.Value.Includes == FhirIncludes.Off)
        {
            return lookup;
        }

        var optimistic = Optimistic(context, itemType);
        var selection = optimistic.Selection;
        return optimistic.Plan.IsEmpty
            ? lookup
            : new ReverseLookup(filter, parameter, target)
            {
                PlanSignature = optimistic.Signature,
                Planned = (query, cancellationToken) => SearchNestedAsync(itemType, selection, query, cancellationToken),
            };
    }

    /// <summary>
    /// The selection below the field and its plan as if the server supported every include, kept with the field's
    /// node of the parsed document (the validated document is parsed once and reused: <c>ValidatedDocuments</c>), so
    /// the hundred slots of a week view, and every later request of the same document, read and plan their
    /// <c>appointments</c> once. The plan depends on the selection, the item type and <see cref="IsDefaultUnfiltered"/>,
    /// which reads only whether the caller sees everything: one plan is kept for each answer. A selection that depends
    /// on variables (<c>@skip(if: $x)</c>) is read and planned on every call, as before.
    /// </summary>
    internal SelectionPlan Optimistic(IResolveFieldContext context, string itemType)
    {
        var seesEverything = access.SeesEverything;
        if (KeptPlans.TryGetValue(context.FieldAst, out var kept) && kept.Fits(context, itemType))
        {
            return kept.For(seesEverything) ?? kept.Keep(seesEverything, PlanOf(itemType, kept.Selection));
        }

        var selection = SelectionReader.Read(context, out var usesVariables);
        var plan = PlanOf(itemType, selection);
        if (!usesVariables)
        {
            var keeping = new KeptPlans(context.Schema, context.FieldDefinition, itemType, selection);
            keeping.Keep(seesEverything, plan);
            KeptPlans.Add(context.FieldAst, keeping);
        }

        return plan;
    }

    private SelectionPlan PlanOf(string itemType, IReadOnlyList<SelectedField> selection)
    {
        var plan = IncludePlanner.Plan(itemType, selection, _ => true, IsDefaultUnfiltered);
        return new SelectionPlan(selection, plan, plan.IsEmpty ? string.Empty : string.Join("&", plan.Includes));
    }

    /// <summary>
    /// A nested list's batched search with the includes its selection needs, priming what they bring; null (the
    /// DataLoader then pages through it without includes) when the server supports none of them or the matches do
    /// not fit one page.
    /// </summary>
    private async Task<IReadOnlyList<Resource>?> SearchNestedAsync(string itemType, IReadOnlyList<SelectedField> selection, FhirQuery query, CancellationToken cancellationToken)
    {
        var support = await capabilities.IncludesAsync(store, cancellationToken);
        var plan = IncludePlanner.Plan(itemType, selection, n => support.Supports(n.Reverse, n.Source, n.Parameter, n.OwnerType), IsDefaultUnfiltered);
        if (plan.IsEmpty)
        {
            return null;
        }

        var planned = query.Clone().Count(fhir.Value.PageSize);
        foreach (var include in plan.Includes)
        {
            planned.Include(include);
        }

        var mark = cache.RemovalMark;
        var page = await store.SearchAsync(planned, cancellationToken);
        if (page.HasMore)
        {
            return null;
        }

        foreach (var resource in page.Included)
        {
            byId.Prime(resource);
        }

        await cache.CacheFoundAsync(page.Included, mark, cancellationToken);
        if (!page.HasWarnings)
        {
            Prime(plan, page);
        }

        return page.Resources;
    }

    /// <summary>
    /// Whether the server split the page: it says there is more while the page holds fewer matches than asked for (a
    /// server counting included resources against <c>_count</c>). A root list asks for one match more than it shows,
    /// so "more" after a full page is only the list going on.
    /// </summary>
    public static bool Split(FhirSearchPage page, int count)
    {
        ArgumentNullException.ThrowIfNull(page);
        return page.HasMore && page.Resources.Count < count;
    }

    /// <summary>The search a nested list's resolver makes when given no arguments, for this caller.</summary>
    public FhirQuery? DefaultFilter(Navigation navigation)
    {
        ArgumentNullException.ThrowIfNull(navigation);
        return navigation.ItemType switch
        {
            "Schedule" => ScheduleSearches.Filtered(null, null),
            "Slot" => SlotFilters.ToQuery(null, null),
            "Appointment" when access.SeesEverything => access.Narrow(AppointmentFilters.ToQuery(null, null)),
            _ => null,
        };
    }

    private bool IsDefaultUnfiltered(Navigation navigation) =>
        DefaultFilter(navigation) is { } filter && filter.Parameters.All(p => p.Key == "_sort");

    private void Prime(IncludePlan plan, FhirSearchPage page)
    {
        var pool = page.Resources.Concat(page.Included).GroupBy(r => r.TypeName).ToDictionary(g => g.Key, g => g.ToList());
        PrimeSteps(plan.Steps, page.Resources, pool);
    }

    private void PrimeSteps(IReadOnlyList<PlannedStep> steps, IReadOnlyList<Resource> parents, Dictionary<string, List<Resource>> pool)
    {
        foreach (var step in steps)
        {
            var navigation = step.Navigation;
            var owners = parents.Where(p => p.TypeName == navigation.OwnerType).ToList();
            var candidates = pool.GetValueOrDefault(navigation.ItemType) ?? [];
            List<Resource> items;
            if (navigation.Reverse)
            {
                items = [];
                var filter = DefaultFilter(navigation)!;
                // Each candidate's references read once (not once per owner: 80 slots × 40 appointments on a week view).
                var byTarget = new Dictionary<FhirReference, List<Resource>>();
                foreach (var candidate in candidates)
                {
                    foreach (var reference in SearchParameterIndex.References(candidate, navigation.Parameter).Distinct())
                    {
                        (byTarget.TryGetValue(reference, out var list) ? list : byTarget[reference] = []).Add(candidate);
                    }
                }

                foreach (var owner in owners)
                {
                    var target = new FhirReference(owner.TypeName, owner.Id!);
                    var found = byTarget.GetValueOrDefault(target) ?? [];
                    if (InOneOrder(found, filter.Get("_sort")) is { } ordered)
                    {
                        referencing.Prime(new ReverseLookup(filter, navigation.Parameter, target), ordered);
                    }

                    items.AddRange(found);
                }
            }
            else
            {
                var referenced = owners.SelectMany(o => SearchParameterIndex.References(o, navigation.Parameter)).ToHashSet();
                items = [.. candidates.Where(c => referenced.Contains(new FhirReference(c.TypeName, c.Id!)))];
            }

            PrimeSteps(step.Children, [.. items.Distinct()], pool);
        }
    }

    /// <summary>
    /// The items in the list's sort order, or null when the order is not certain: two items the sort keys cannot
    /// tell apart come back in whatever order the server chose, which a sort in memory cannot reproduce.
    /// </summary>
    private static List<Resource>? InOneOrder(List<Resource> items, string? sort)
    {
        if (items.Count <= 1)
        {
            // Most slots of a week hold one appointment or none: one order, nothing to sort.
            return [.. items];
        }

        var forward = InMemorySearch.Sort(items.OrderBy(r => r.Id, StringComparer.Ordinal), sort).ToList();
        var backward = InMemorySearch.Sort(items.OrderByDescending(r => r.Id, StringComparer.Ordinal), sort).ToList();
        return forward.SequenceEqual(backward) ? forward : null;
    }
}

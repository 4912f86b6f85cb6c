using GraphQL;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Slots;

namespace Scheduling.Schema.Planning;

/// <summary>
/// Sends a root field's search with the includes its selection needs (<see cref="IncludePlanner"/>) and primes
/// the request's DataLoaders with what came back, keyed exactly as the resolvers below will ask: included
/// resources by reference, and each planned nested list under the search its resolver makes with no arguments.
/// Whatever it cannot vouch for it leaves unprimed, and the DataLoaders ask as they always did.
/// </summary>
public sealed class QueryPlanner(
    IFhirStore store,
    ResourceByIdDataLoader byId,
    ReferencingResourcesDataLoader referencing,
    SchedulingAccess access,
    IOptions<FhirOptions> fhir)
{
    public bool Enabled => fhir.Value.Includes == FhirIncludes.On;

    /// <summary>
    /// The matches of <paramref name="query"/> (a search of <paramref name="rootType"/>) with the selection below
    /// the field planned; null when nothing is worth planning (the caller then resolves as without a planner).
    /// </summary>
    public async Task<IReadOnlyList<Resource>?> SearchAsync(IResolveFieldContext context, string rootType, FhirQuery query)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(query);
        if (!Enabled)
        {
            return null;
        }

        var plan = IncludePlanner.Plan(rootType, SelectionReader.Read(context), _ => true, n => IsDefaultUnfiltered(n));
        if (plan.IsEmpty)
        {
            return null;
        }

        var planned = query.Clone().Count(fhir.Value.PageSize);
        foreach (var include in plan.Includes)
        {
            planned.Include(include);
        }

        var page = await store.SearchAsync(planned, context.CancellationToken);
        foreach (var resource in page.Resources)
        {
            byId.Prime(resource);
        }

        if (!page.HasMore && !page.HasWarnings)
        {
            Prime(plan, page);
        }

        return page.Resources;
    }

    /// <summary>The search a nested list's resolver makes when given no arguments, for this caller.</summary>
    public FhirQuery? DefaultFilter(Navigation navigation)
    {
        ArgumentNullException.ThrowIfNull(navigation);
        return navigation.ItemType switch
        {
            "Slot" => SlotFilters.ToQuery(null, null),
            "Appointment" when access.SeesEverything => access.Narrow(AppointmentFilters.ToQuery(null, null)),
            _ => null,
        };
    }

    private bool IsDefaultUnfiltered(Navigation navigation) =>
        DefaultFilter(navigation) is { } filter && filter.Parameters.All(p => p.Key == "_sort");

    private void Prime(IncludePlan plan, FhirSearchPage page)
    {
        foreach (var resource in page.Included)
        {
            byId.Prime(resource);
        }

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
                foreach (var owner in owners)
                {
                    var target = new FhirReference(owner.TypeName, owner.Id!);
                    var found = candidates.Where(c => SearchParameterIndex.References(c, navigation.Parameter).Contains(target)).ToList();
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
        var forward = InMemorySearch.Sort(items.OrderBy(r => r.Id, StringComparer.Ordinal), sort).ToList();
        var backward = InMemorySearch.Sort(items.OrderByDescending(r => r.Id, StringComparer.Ordinal), sort).ToList();
        return forward.SequenceEqual(backward) ? forward : null;
    }
}

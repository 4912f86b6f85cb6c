using GraphQL;
using GraphQL.Types.Relay.DataObjects;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Planning;

namespace Scheduling.Schema.Common;

/// <summary>A root list field: one FHIR search page, <c>_count=first+1</c> at <c>_offset</c> (planned: <see cref="QueryPlanner"/>).</summary>
public static class RootList
{
    public static async Task<Connection<T>> SearchAsync<T>(IResolveFieldContext context, FhirQuery query)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(query);
        var (offset, first) = Paging.Read(context);
        query.Count(first + 1).Offset(offset);
        if (context.Selects("totalCount"))
        {
            query.WithTotal();
        }

        // With includes for the selection below when the planner can (it primes the DataLoaders), else the page alone.
        var page = (context.Planner() is { } planner
                       ? await planner.SearchAsync(context, FhirTypeName<T>.Value, query, matchesAreLoads: false)
                       : null)
                   ?? await context.Fhir().SearchAsync(query, context.CancellationToken);
        var loader = context.ById();
        foreach (var resource in page.Resources)
        {
            loader.Prime(resource);
        }

        return Paging.Build(page.Resources.OfType<T>().ToList(), offset, first, page.Total);
    }
}

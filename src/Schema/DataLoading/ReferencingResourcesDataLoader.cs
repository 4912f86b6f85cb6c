using GraphQL.DataLoader;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.DataLoading;

/// <summary>What points at a resource through a reference search parameter, under extra filters:
/// the slots of a schedule (<c>Slot?schedule=</c>), the appointments of a slot (<c>Appointment?slot=</c>), ...</summary>
public sealed class ReverseLookup : IEquatable<ReverseLookup>
{
    public ReverseLookup(FhirQuery filter, string parameter, FhirReference target)
    {
        ArgumentNullException.ThrowIfNull(filter);
        Filter = filter;
        Parameter = parameter;
        Target = target;
        GroupKey = filter.ResourceType + "?" + filter.FilterSignature + "#" + parameter;
    }

    /// <summary>The search without the reference (type, filters, sort).</summary>
    public FhirQuery Filter { get; }

    public string Parameter { get; }

    public FhirReference Target { get; }

    /// <summary>Lookups with equal group keys (and equal <see cref="PlanSignature"/>) share one search.</summary>
    public string GroupKey { get; }

    /// <summary>
    /// The includes its search would carry (<see cref="Planned"/>), empty when unplanned: only lookups planned alike
    /// are searched together. Not part of equality: a list the query planner primed is found whatever plan asks for it.
    /// </summary>
    public string PlanSignature { get; init; } = string.Empty;

    /// <summary>
    /// The group's search with includes, priming what they bring (<see cref="Planning.QueryPlanner"/>); it answers the
    /// matches, or null when it steps back and the search is sent as without a plan.
    /// </summary>
    public Func<FhirQuery, CancellationToken, Task<IReadOnlyList<Resource>?>>? Planned { get; init; }

    public bool Equals(ReverseLookup? other) => other is not null && GroupKey == other.GroupKey && Target == other.Target;

    public override bool Equals(object? obj) => Equals(obj as ReverseLookup);

    public override int GetHashCode() => HashCode.Combine(GroupKey, Target);
}

/// <summary>
/// Reverse lookups, batched: every lookup of a level with the same search becomes one search with the
/// references OR-ed (<c>Slot?schedule=Schedule/a,Schedule/b</c>), every page followed, and the results split
/// back to each key by evaluating the parameter's own FHIRPath on each result.
/// </summary>
public sealed class ReferencingResourcesDataLoader(
    IFhirStore store,
    ResourceByIdDataLoader byId,
    IOptions<FhirOptions> fhir,
    IOptions<DataLoaderOptions> options)
    : BatchDataLoader<ReverseLookup, IReadOnlyList<Resource>>(options.Value)
{
    protected override IReadOnlyList<Resource> MissingValue => [];

    public IDataLoaderResult<IReadOnlyList<T>> Load<T>(FhirQuery filter, string parameter, FhirReference target)
        where T : Resource =>
        Load<T>(new ReverseLookup(filter, parameter, target));

    public IDataLoaderResult<IReadOnlyList<T>> Load<T>(ReverseLookup lookup)
        where T : Resource =>
        Load(lookup).Then(list => (IReadOnlyList<T>)[.. list.OfType<T>()]);

    /// <summary>One group per search (type, filters, parameter).</summary>
    protected override string GroupOf(ReverseLookup key) => key.GroupKey + "|" + key.PlanSignature;

    protected override async Task<IReadOnlyDictionary<ReverseLookup, IReadOnlyList<Resource>>> FetchAsync(
        IReadOnlyList<ReverseLookup> keys, CancellationToken cancellationToken)
    {
        var searches = keys.Chunk(fhir.Value.MaxValuesPerSearch).Select(chunk => SearchChunkAsync(chunk, cancellationToken));
        var results = new Dictionary<ReverseLookup, IReadOnlyList<Resource>>();
        foreach (var chunk in await Task.WhenAll(searches))
        {
            foreach (var (key, value) in (Dictionary<ReverseLookup, IReadOnlyList<Resource>>)chunk)
            {
                results[key] = value;
            }
        }

        return results;
    }

    private async Task<Dictionary<ReverseLookup, IReadOnlyList<Resource>>> SearchChunkAsync(
        ReverseLookup[] chunk, CancellationToken cancellationToken)
    {
        var first = chunk[0];
        var query = first.Filter.Clone().WhereAny(first.Parameter, chunk.Select(k => k.Target.ToString()).Distinct());
        var found = (first.Planned is { } planned ? await planned(query, cancellationToken) : null)
            ?? await store.SearchAllAsync(query, cancellationToken);

        var byTarget = chunk.ToDictionary(k => k.Target, _ => new List<Resource>());
        foreach (var resource in found)
        {
            byId.Prime(resource);
            foreach (var reference in SearchParameterIndex.References(resource, first.Parameter).Distinct())
            {
                if (byTarget.TryGetValue(reference, out var list))
                {
                    list.Add(resource);
                }
            }
        }

        return chunk.ToDictionary(k => k, k => (IReadOnlyList<Resource>)byTarget[k.Target]);
    }
}

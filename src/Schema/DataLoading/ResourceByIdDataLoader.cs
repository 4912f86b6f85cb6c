using GraphQL.DataLoader;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Caching;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.DataLoading;

/// <summary>
/// Reads resources by reference, batched: all ids of one type queued in a level become one
/// <c>Type?_id=a,b,c</c> search (split into chunks of <c>Fhir:MaxValuesPerSearch</c>), the types in parallel.
/// Also the request's identity map: whatever a search returned is primed here and never read again.
/// </summary>
public sealed class ResourceByIdDataLoader(IFhirStore store, FhirResourceCache cache, IOptions<FhirOptions> fhir, IOptions<DataLoaderOptions> options)
    : BatchDataLoader<FhirReference, Resource?>(options.Value)
{
    public IDataLoaderResult<T?> Load<T>(string? id)
        where T : Resource
    {
        if (!FhirReference.IsValidId(id))
        {
            return new CompletedResult<T?>(null);
        }

        return Load(FhirReference.For<T>(id)).Then(r => r as T);
    }

    public IDataLoaderResult<T?> Load<T>(ResourceReference? reference)
        where T : Resource =>
        FhirReference.From(reference) is { } parsed && parsed.ResourceType == typeof(T).Name
            ? Load(parsed).Then(r => r as T)
            : new CompletedResult<T?>(null);

    public void Prime(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (FhirReference.IsValidId(resource.Id))
        {
            Prime(new FhirReference(resource.TypeName, resource.Id), resource);
        }
    }

    /// <summary>One group per resource type: a failing Patient search leaves the practitioners alone.</summary>
    protected override string GroupOf(FhirReference key) => key.ResourceType;

    /// <summary>Cached types through the cache (its misses read once however many ask at once), the rest from FHIR.</summary>
    protected override Task<IReadOnlyDictionary<FhirReference, Resource?>> FetchAsync(
        IReadOnlyList<FhirReference> keys, CancellationToken cancellationToken) =>
        cache.Caches(keys[0].ResourceType) ? cache.GetOrReadAsync(keys, SearchAsync, cancellationToken) : SearchAsync(keys, cancellationToken);

    private Task<IReadOnlyDictionary<FhirReference, Resource?>> SearchAsync(IReadOnlyList<FhirReference> keys, CancellationToken cancellationToken) =>
        SearchAsync(store, fhir.Value, keys, cancellationToken);

    /// <summary>Resources of one type by id: one <c>Type?_id=</c> search per chunk of ids.</summary>
    internal static async Task<IReadOnlyDictionary<FhirReference, Resource?>> SearchAsync(
        IFhirStore store, FhirOptions fhir, IReadOnlyList<FhirReference> keys, CancellationToken cancellationToken)
    {
        var type = keys[0].ResourceType;
        var searches = keys.Select(k => k.Id).Distinct().Chunk(fhir.MaxValuesPerSearch)
            .Select(chunk => store.SearchAllAsync(ResourceSearches.ByIds(type, chunk), cancellationToken));
        var found = new Dictionary<FhirReference, Resource?>();
        foreach (var resource in (await Task.WhenAll(searches)).SelectMany(p => p).Where(r => FhirReference.IsValidId(r.Id)))
        {
            found[new FhirReference(resource.TypeName, resource.Id!)] = resource;
        }

        return found;
    }
}

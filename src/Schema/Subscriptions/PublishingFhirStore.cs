using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// Announces every resource this gateway writes, whichever mutation wrote it: the one place gateway writes become
/// subscription events and cache invalidations. Reads pass straight through.
/// </summary>
public sealed class PublishingFhirStore(IFhirStore inner, ChangeHub hub) : IFhirStore
{
    public Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken) => inner.SearchAsync(query, cancellationToken);

    public Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken) => inner.SearchAllAsync(query, cancellationToken);

    public Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken) => inner.ReadAsync(reference, cancellationToken);

    public Task<CapabilityStatement?> ReadCapabilitiesAsync(CancellationToken cancellationToken) => inner.ReadCapabilitiesAsync(cancellationToken);

    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
        where T : Resource => await AnnounceAsync(await inner.CreateAsync(resource, cancellationToken), ChangeKind.Created);

    public async Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
        where T : Resource => await AnnounceAsync(await inner.UpdateAsync(resource, ifMatchVersionId, cancellationToken), ChangeKind.Updated);

    public async Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken)
        where T : Resource
    {
        var (result, created) = await inner.CreateIfNoneExistAsync(resource, ifNoneExist, cancellationToken);
        return (created ? await AnnounceAsync(result, ChangeKind.Created) : result, created);
    }

    public async Task DeleteAsync(Resource current, CancellationToken cancellationToken)
    {
        // The caller's copy is the last version (the delete was guarded by it): subscribers filter on it.
        await inner.DeleteAsync(current, cancellationToken);
        await AnnounceAsync(current, ChangeKind.Deleted);
    }

    public async Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var results = await inner.TransactionAsync(writes, cancellationToken);
        await hub.PublishAllAsync([.. results.Select((r, i) => (Resource: r, Kind: writes[i].IsDelete ? ChangeKind.Deleted : writes[i].IsCreate ? ChangeKind.Created : ChangeKind.Updated))
            .Where(w => IsAnnounced(w.Resource.TypeName))
            .Select(w => ResourceChange.From(w.Resource, w.Kind, hub.InstanceId))]);
        return results;
    }

    private async Task<T> AnnounceAsync<T>(T resource, ChangeKind kind)
        where T : Resource
    {
        if (IsAnnounced(resource.TypeName))
        {
            await hub.PublishAsync(resource, kind);
        }

        return resource;
    }

    private static bool IsAnnounced(string resourceType) => resourceType != "OperationOutcome";
}

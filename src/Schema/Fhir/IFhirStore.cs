using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// The one way the schema reaches FHIR data: a REST FHIR server (<see cref="RestFhirStore"/>) or the embedded
/// in-memory store. Both pass one contract test suite.
/// </summary>
public interface IFhirStore
{
    /// <summary>One page of a search, honouring <c>_count</c>, <c>_offset</c> and <c>_total</c>.</summary>
    Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken);

    /// <summary>Every match of a search, following every page.</summary>
    Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken);

    /// <summary>Reads one resource; null when it does not exist (or was deleted).</summary>
    Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken);

    Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
        where T : Resource;

    /// <summary>Updates a resource; with <paramref name="ifMatchVersionId"/> the write only happens on that version.</summary>
    /// <exception cref="FhirVersionConflictException">The resource is no longer at that version.</exception>
    Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
        where T : Resource;

    /// <summary>Creates the resource unless one matches <paramref name="ifNoneExist"/> (FHIR conditional create);
    /// either way returns the one that now exists, and whether this call created it.</summary>
    Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken)
        where T : Resource;

    /// <summary>
    /// Deletes <paramref name="current"/> as the caller read it: only at its <c>meta.versionId</c> when it has one
    /// (If-Match), so what changed since it was read is not deleted. Deleting what is gone is no error.
    /// </summary>
    Task DeleteAsync(Resource current, CancellationToken cancellationToken);

    /// <summary>The server's CapabilityStatement (<c>GET metadata</c>); null when it publishes none.</summary>
    Task<CapabilityStatement?> ReadCapabilitiesAsync(CancellationToken cancellationToken) => Task.FromResult<CapabilityStatement?>(null);

    /// <summary>Applies every write or none (a FHIR transaction Bundle); results in the writes' order.</summary>
    /// <exception cref="FhirVersionConflictException">An If-Match failed; nothing was written.</exception>
    Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken);
}

/// <summary>
/// One write of a change: a create, an update that only applies at <see cref="IfMatchVersionId"/>, or a delete
/// (<see cref="IsDelete"/>) at that version. An update or a delete keeps the version it replaces
/// (<see cref="Previous"/>), so that it can be undone or repaired.
/// </summary>
public sealed record FhirWrite(Resource Resource, string? IfMatchVersionId = null, Resource? Previous = null)
{
    /// <summary>The write removes <see cref="Resource"/> (a transaction entry <c>DELETE</c> with If-Match).</summary>
    public bool IsDelete { get; init; }

    /// <summary>
    /// For a delete written write by write (<see cref="FhirChangeSet"/>): what the resource is replaced with first,
    /// before any of the change's deletes, so that nobody takes it while the change runs (a slot made unavailable).
    /// </summary>
    public Resource? Reserved { get; init; }

    public bool IsCreate => !IsDelete && string.IsNullOrEmpty(Resource.Id);

    public static FhirWrite Create(Resource resource) => new(resource);

    /// <summary>Replaces <paramref name="current"/> with <paramref name="changed"/>, only if nobody wrote it since it was read.</summary>
    public static FhirWrite Update(Resource current, Resource changed)
    {
        ArgumentNullException.ThrowIfNull(current);
        return new(changed, current.Meta?.VersionId, current);
    }

    /// <summary>Deletes <paramref name="current"/>, only if nobody wrote it since it was read; <paramref name="reserved"/> as <see cref="Reserved"/>.</summary>
    public static FhirWrite Delete(Resource current, Resource? reserved = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        return new(current, current.Meta?.VersionId, current) { IsDelete = true, Reserved = reserved };
    }
}

/// <summary>One page of search results; <see cref="Total"/> when the server counted.</summary>
public sealed record FhirSearchPage(IReadOnlyList<Resource> Resources, int? Total)
{
    /// <summary>What the search's <c>_include</c>/<c>_revinclude</c> brought (Bundle entries with <c>search.mode = include</c>).</summary>
    public IReadOnlyList<Resource> Included { get; init; } = [];

    /// <summary>The server says there is more than this page (a next link, or a total beyond it).</summary>
    public bool HasMore { get; init; }

    /// <summary>The server warned about the search (an OperationOutcome entry: includes cut short, parameters ignored).</summary>
    public bool HasWarnings { get; init; }
}

public static class FhirStoreExtensions
{
    public static async Task<IReadOnlyList<T>> SearchAllAsync<T>(this IFhirStore store, FhirQuery query, CancellationToken cancellationToken)
        where T : Resource => [.. (await store.SearchAllAsync(query, cancellationToken)).OfType<T>()];

    public static async Task<T?> ReadAsync<T>(this IFhirStore store, string id, CancellationToken cancellationToken)
        where T : Resource =>
        FhirReference.IsValidId(id) ? await store.ReadAsync(FhirReference.For<T>(id), cancellationToken) as T : null;
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>
/// A FHIR store that passes every call to another: the base of the test decorators, which override only the calls
/// they watch or bend (<see cref="InterceptedFhirStore"/> the writes, a recording store the searches, ...).
/// </summary>
public abstract class DelegatingFhirStore(IFhirStore inner) : IFhirStore
{
    protected IFhirStore Inner { get; } = inner;

    public virtual Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken) => Inner.SearchAsync(query, cancellationToken);

    public virtual Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken) => Inner.SearchAllAsync(query, cancellationToken);

    public virtual Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken) => Inner.ReadAsync(reference, cancellationToken);

    public virtual Task<CapabilityStatement?> ReadCapabilitiesAsync(CancellationToken cancellationToken) => Inner.ReadCapabilitiesAsync(cancellationToken);

    public virtual Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
        where T : Resource => Inner.CreateAsync(resource, cancellationToken);

    public virtual Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
        where T : Resource => Inner.UpdateAsync(resource, ifMatchVersionId, cancellationToken);

    public virtual Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken)
        where T : Resource => Inner.CreateIfNoneExistAsync(resource, ifNoneExist, cancellationToken);

    public virtual Task DeleteAsync(Resource current, CancellationToken cancellationToken) => Inner.DeleteAsync(current, cancellationToken);

    public virtual Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken) =>
        Inner.TransactionAsync(writes, cancellationToken);
}

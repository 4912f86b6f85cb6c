using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>How many calls a <see cref="CountingFhirStore"/> passed on (shared by the stores of one gateway).</summary>
public sealed class FhirCallCounter
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    public void Count() => Interlocked.Increment(ref _requests);

    public void Reset() => Interlocked.Exchange(ref _requests, 0);
}

/// <summary>Counts every call that would be a request to a FHIR server: reads, searches (each page), writes, transactions.</summary>
public sealed class CountingFhirStore(IFhirStore inner, FhirCallCounter counter) : DelegatingFhirStore(inner)
{
    public override Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.SearchAsync(query, cancellationToken);
    }

    public override Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.SearchAllAsync(query, cancellationToken);
    }

    public override Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.ReadAsync(reference, cancellationToken);
    }

    public override Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.CreateAsync(resource, cancellationToken);
    }

    public override Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.UpdateAsync(resource, ifMatchVersionId, cancellationToken);
    }

    public override Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.CreateIfNoneExistAsync(resource, ifNoneExist, cancellationToken);
    }

    public override Task DeleteAsync(Resource current, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.DeleteAsync(current, cancellationToken);
    }

    public override Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken)
    {
        counter.Count();
        return base.TransactionAsync(writes, cancellationToken);
    }
}

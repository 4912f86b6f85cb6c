using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>The kinds of write an <see cref="IFhirStore"/> takes.</summary>
public enum StoreWrite
{
    Create,

    /// <summary>A conditional create (a span guard or a rule slot made on first use).</summary>
    CreateIfNoneExist,

    Update,
    Delete,
    Transaction,
}

/// <summary>
/// A FHIR store that runs a test's step before each write it passes on (to interfere as another client would, to
/// refuse by throwing, to cancel a caller, to watch); reads go straight through. The step is told which kind of
/// write comes and the token the write was given.
/// </summary>
public sealed class InterceptedFhirStore(IFhirStore inner, Func<StoreWrite, CancellationToken, Task> beforeWrite) : DelegatingFhirStore(inner)
{
    public override async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
    {
        await beforeWrite(StoreWrite.Create, cancellationToken);
        return await Inner.CreateAsync(resource, cancellationToken);
    }

    public override async Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
    {
        await beforeWrite(StoreWrite.Update, cancellationToken);
        return await Inner.UpdateAsync(resource, ifMatchVersionId, cancellationToken);
    }

    public override async Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken)
    {
        await beforeWrite(StoreWrite.CreateIfNoneExist, cancellationToken);
        return await Inner.CreateIfNoneExistAsync(resource, ifNoneExist, cancellationToken);
    }

    public override async Task DeleteAsync(Resource current, CancellationToken cancellationToken)
    {
        await beforeWrite(StoreWrite.Delete, cancellationToken);
        await Inner.DeleteAsync(current, cancellationToken);
    }

    public override async Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken)
    {
        await beforeWrite(StoreWrite.Transaction, cancellationToken);
        return await Inner.TransactionAsync(writes, cancellationToken);
    }
}

using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// Applies a change of several resources so that it happens whole or not at all: as one FHIR transaction Bundle
/// where the server does transactions, otherwise write by write with If-Match, undoing the written part (in
/// reverse) when a later write fails. Callers order the writes so that the contended ones (slots) come first:
/// losing a race then writes nothing.
/// </summary>
public sealed partial class FhirChangeSet(IFhirStore store, IOptions<FhirOptions> options, ILogger<FhirChangeSet> logger)
{
    /// <exception cref="FhirVersionConflictException">An If-Match failed: someone else changed a resource first.</exception>
    public async Task<IReadOnlyList<Resource>> ApplyAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (options.Value.UsesTransactions)
        {
            return await store.TransactionAsync(writes, cancellationToken);
        }

        var applied = new List<(FhirWrite Write, Resource Result)>(writes.Count);
        try
        {
            foreach (var write in writes)
            {
                var result = write.IsCreate
                    ? await store.CreateAsync(write.Resource, cancellationToken)
                    : await store.UpdateAsync(write.Resource, write.IfMatchVersionId, cancellationToken);
                applied.Add((write, result));
            }

            return [.. applied.Select(a => a.Result)];
        }
        catch (Exception)
        {
            // Undo even if the caller gave up: a half-applied change must not stay behind.
            await UndoAsync(applied, CancellationToken.None);
            throw;
        }
    }

    private async Task UndoAsync(List<(FhirWrite Write, Resource Result)> applied, CancellationToken cancellationToken)
    {
        for (var i = applied.Count - 1; i >= 0; i--)
        {
            var (write, result) = applied[i];
            try
            {
                if (write.IsCreate)
                {
                    await store.DeleteAsync(result, cancellationToken);
                }
                else if (write.Previous is { } previous)
                {
                    await store.UpdateAsync(previous, result.Meta?.VersionId, cancellationToken);
                }
            }
            catch (Exception e) when (e is FhirException)
            {
                // Someone wrote it after us: theirs is newer and stands. Log it for the operator.
                LogUndoFailed(logger, result.TypeName + "/" + result.Id, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not undo the write of {Reference} after a failed change")]
    private static partial void LogUndoFailed(ILogger logger, string reference, Exception exception);
}

using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// Applies a change of several resources so that it happens whole or not at all: as one FHIR transaction Bundle
/// where the server does transactions, otherwise write by write with If-Match. Callers order the writes so that the
/// contended ones (slots) come first: losing a race then writes nothing.
/// <para>
/// Written write by write, a change survives its caller: the caller's token only stops it before its first write;
/// from then on its writes, and its undo, run to their end under their own deadline
/// (<see cref="ChangeSafetyOptions.WriteSeconds"/>). Before the first write a <see cref="ChangeIntent"/> record is
/// left where a sweeper on any instance finds it (<see cref="ChangeIntentRepair"/>), and every write carries the
/// change id as a tag. After a failure, what is undone is decided from a fresh read of each resource written, not
/// from the writes that answered: a write whose answer was lost may have landed.
/// </para>
/// </summary>
public sealed partial class FhirChangeSet(
    IFhirStore store, IOptions<FhirOptions> options, IOptions<ChangeSafetyOptions> safety, TimeProvider time, ILogger<FhirChangeSet> logger)
{
    /// <exception cref="FhirVersionConflictException">An If-Match failed: someone else changed a resource first.</exception>
    /// <exception cref="FhirUnavailableException">The change did not finish within its deadline (what it wrote is undone or left to the sweeper).</exception>
    public async Task<IReadOnlyList<Resource>> ApplyAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            // Nothing to change: no request at all (an empty transaction Bundle is refused by some servers).
            return [];
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var deadline = new CancellationTokenSource(safety.Value.WriteTimeout, time);
        try
        {
            if (options.Value.UsesTransactions)
            {
                return await store.TransactionAsync([.. writes.Select(Untagged)], deadline.Token);
            }

            // One write happens whole or not at all: nothing to record or undo.
            return writes.Count == 1
                ? [await WriteAsync(Untagged(writes[0]), deadline.Token)]
                : await ApplyWriteByWriteAsync(writes, deadline.Token);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested)
        {
            throw new FhirUnavailableException("The FHIR server did not finish the change in time.", e);
        }
    }

    /// <summary>
    /// Write by write: the intent, then each write in the caller's order, except the deletes. Those go last, after
    /// every other write (a delete's <see cref="FhirWrite.Reserved"/> form first, with the updates): a delete cannot
    /// be undone on every server (a create with a given id is optional in FHIR R4), so until the first delete is sent
    /// a failure is undone, and from then on the change is decided and is finished, by this call or by the sweeper.
    /// </summary>
    private async Task<IReadOnlyList<Resource>> ApplyWriteByWriteAsync(IReadOnlyList<FhirWrite> writes, CancellationToken deadline)
    {
        var changeId = ChangeIntent.NewChangeId();
        var deletes = writes.Where(w => w.IsDelete).ToList();
        var reserves = deletes.Where(d => d.Reserved is not null).Select(d => FhirWrite.Update(d.Resource, d.Reserved!)).ToList();
        var tagged = reserves.Concat(writes.Where(w => !w.IsDelete)).Select(w => ChangeIntent.Tag(w, changeId)).ToList();
        var intent = await store.CreateAsync(ChangeIntent.Record(changeId, time.GetUtcNow(), [.. tagged, .. deletes]), deadline);
        var results = new List<Resource>(tagged.Count);
        try
        {
            foreach (var write in tagged)
            {
                results.Add(await WriteAsync(write, deadline));
            }
        }
        catch (Exception)
        {
            // Undo under its own deadline, whoever gave up; if it cannot finish, the intent stays for the sweeper.
            using var undoDeadline = new CancellationTokenSource(safety.Value.WriteTimeout, time);
            if (await UndoAsync(changeId, tagged, undoDeadline.Token))
            {
                await ForgetAsync(intent, undoDeadline.Token);
            }

            throw;
        }

        var reserved = results.Take(reserves.Count).ToDictionary(r => r.TypeName + "/" + r.Id, StringComparer.Ordinal);
        foreach (var delete in deletes)
        {
            // At the version this change reserved it at; a failure other than a lost If-Match leaves the intent, and the sweeper finishes it.
            var current = reserved.GetValueOrDefault(delete.Resource.TypeName + "/" + delete.Resource.Id) ?? delete.Resource;
            try
            {
                await store.DeleteAsync(current, deadline);
            }
            catch (FhirVersionConflictException e)
            {
                // Someone wrote it after this change reserved it: theirs stands.
                LogDeleteOvertaken(logger, delete.Resource.TypeName + "/" + delete.Resource.Id, e);
            }
        }

        await ForgetAsync(intent, deadline);
        var next = reserves.Count;
        return [.. writes.Select(w => w.IsDelete ? w.Resource : results[next++])];
    }

    /// <summary>
    /// A write no intent tracks drops any earlier change's tag: a tag means "that change wrote it last", which a
    /// repair of that change relies on to leave alone what others wrote since.
    /// </summary>
    private static FhirWrite Untagged(FhirWrite write) => write with { Resource = ChangeIntent.Untagged(write.Resource) };

    private async Task<Resource> WriteAsync(FhirWrite write, CancellationToken cancellationToken)
    {
        if (write.IsDelete)
        {
            await store.DeleteAsync(write.Resource, cancellationToken);
            return write.Resource;
        }

        return write.IsCreate
            ? await store.CreateAsync(write.Resource, cancellationToken)
            : await store.UpdateAsync(write.Resource, write.IfMatchVersionId, cancellationToken);
    }

    /// <summary>
    /// Undoes, in reverse, what of the change a fresh read shows landed and is still its own (tagged with its id):
    /// an update goes back to the version it replaced (If-Match on the fresh version), a create is deleted. What
    /// someone else wrote after it stands. Returns whether every resource could be looked at.
    /// </summary>
    private async Task<bool> UndoAsync(string changeId, List<FhirWrite> writes, CancellationToken cancellationToken)
    {
        var updated = writes.Where(w => !w.IsCreate).Select(w => w.Resource.TypeName + "/" + w.Resource.Id).ToHashSet(StringComparer.Ordinal);
        var searchedTypes = new HashSet<string>(StringComparer.Ordinal);
        var whole = true;
        for (var i = writes.Count - 1; i >= 0; i--)
        {
            var write = writes[i];
            try
            {
                if (write.IsCreate)
                {
                    if (searchedTypes.Add(write.Resource.TypeName))
                    {
                        var landed = await store.SearchAllAsync(ChangeIntentSearches.TaggedBy(write.Resource.TypeName, changeId), cancellationToken);
                        foreach (var created in landed.Where(r => !updated.Contains(r.TypeName + "/" + r.Id)))
                        {
                            await store.DeleteAsync(created, cancellationToken);
                        }
                    }
                }
                else if (write.Previous is { } previous)
                {
                    var current = await store.ReadAsync(new FhirReference(write.Resource.TypeName, write.Resource.Id!), cancellationToken);
                    if (ChangeIntent.IsTaggedBy(current, changeId))
                    {
                        await store.UpdateAsync(previous, current!.Meta?.VersionId, cancellationToken);
                    }
                }
            }
            catch (FhirVersionConflictException e)
            {
                // Someone wrote it after us: theirs is newer and stands.
                LogUndoFailed(logger, write.Resource.TypeName + "/" + write.Resource.Id, e);
            }
            catch (Exception e) when (e is FhirException or OperationCanceledException)
            {
                LogUndoFailed(logger, write.Resource.TypeName + "/" + write.Resource.Id, e);
                whole = false;
            }
        }

        return whole;
    }

    /// <summary>Removes the intent record; if that fails the sweeper finds it later, sees nothing to repair and removes it.</summary>
    private async Task ForgetAsync(Basic intent, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(intent, cancellationToken);
        }
        catch (Exception e) when (e is FhirException or OperationCanceledException)
        {
            LogIntentLeft(logger, intent.Id ?? string.Empty, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not undo the write of {Reference} after a failed change")]
    private static partial void LogUndoFailed(ILogger logger, string reference, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reference} was written by someone else after this change reserved it; it was not deleted")]
    private static partial void LogDeleteOvertaken(ILogger logger, string reference, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove change intent Basic/{Id}; the repair sweeper will")]
    private static partial void LogIntentLeft(ILogger logger, string id, Exception exception);
}

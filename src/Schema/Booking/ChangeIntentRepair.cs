using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Finds change intents older than the grace period (their change's instance died, or its undo could not finish)
/// and repairs what their change left, from fresh reads (<see cref="ChangeRepair"/>). Safe on every instance at
/// once: every repair write is an If-Match on the version just read, so of two sweepers one wins each write and the
/// other keeps the intent for its next round, when a fresh read shows nothing left to do.
/// </summary>
public sealed partial class ChangeIntentRepair(IFhirStore store, IOptions<ChangeSafetyOptions> options, TimeProvider time, ILogger<ChangeIntentRepair> logger)
{
    public const string CancelReason = "The change that made this appointment did not finish.";

    /// <summary>Repairs every stale intent; returns how many needed a repair write.</summary>
    public async Task<int> RepairStaleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var intents = await store.SearchAllAsync<Basic>(ChangeIntentSearches.All(), cancellationToken);
        var repaired = 0;
        foreach (var intent in intents.Where(i => ChangeIntent.StartedAt(i) is not { } started || now - started >= options.Value.RepairGrace))
        {
            if (await RepairAsync(intent, cancellationToken))
            {
                repaired++;
            }
        }

        return repaired;
    }

    /// <summary>Repairs one intent's change and removes the intent once nothing is left to do; returns whether it wrote.</summary>
    public async Task<bool> RepairAsync(Basic intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        if (ChangeIntent.ChangeIdOf(intent) is not { } changeId)
        {
            await store.DeleteAsync(intent, cancellationToken);
            return false;
        }

        var planned = ChangeIntent.PlannedWrites(intent);
        var previous = ChangeIntent.Previous(intent);
        var appointments = await store.SearchAllAsync<Appointment>(ChangeIntentSearches.TaggedBy("Appointment", changeId), cancellationToken);
        var slots = (await store.SearchAllAsync<Slot>(ChangeIntentSearches.TaggedBy("Slot", changeId), cancellationToken)).ToList();
        // Also the slots it meant to update and those of its appointments: a cancel's or a reschedule's old slots
        // carry no tag of this change when it died before freeing them.
        var missing = appointments.Concat(previous.OfType<Appointment>()).SelectMany(a => a.Slot).Select(FhirReference.From).OfType<FhirReference>().Where(r => r.ResourceType == "Slot").Select(r => r.Id)
            .Concat(planned.Where(p => !p.IsCreate && p.ResourceType == "Slot").Select(p => p.Id!))
            .Where(id => !slots.Any(s => s.Id == id)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            slots.AddRange(await store.SearchAllAsync<Slot>(SlotSearches.ByIds(missing), cancellationToken));
        }

        var onSlots = slots.Count == 0 ? []
            : await store.SearchAllAsync<Appointment>(AppointmentSearches.OnSlots(slots.Select(s => s.Id!)), cancellationToken);
        var live = (await store.SearchAllAsync<Basic>(ChangeIntentSearches.All(), cancellationToken))
            .Select(ChangeIntent.ChangeIdOf).OfType<string>().Where(id => id != changeId).ToHashSet(StringComparer.Ordinal);
        var lastWritten = await LastWrittenAsync(changeId, planned, appointments, cancellationToken);
        var blocks = ChangeRepair.IsScheduleSide(planned) ? await BlocksOverAsync(slots, cancellationToken) : [];
        var plan = ChangeRepair.Decide(new ChangeState(changeId, planned, lastWritten, slots, appointments, onSlots, live, previous, blocks));
        var settled = true;
        foreach (var created in plan.Deletes)
        {
            settled &= await DeleteAsync(created, cancellationToken);
        }

        // A block put back first, then the slots it covers.
        foreach (var restore in plan.SlotRestores.OrderBy(r => BlockNesting.IsBlock(r.Target) ? 0 : 1))
        {
            settled &= await WriteAsync(restore.Current, ChangeIntent.Untagged(restore.Target), cancellationToken);
        }

        foreach (var restore in plan.Restores)
        {
            settled &= await WriteAsync(restore.Current, ChangeIntent.Untagged(restore.Previous), cancellationToken);
        }

        foreach (var appointment in plan.Cancel)
        {
            settled &= await WriteAsync(appointment, Cancelled(appointment), cancellationToken);
        }

        foreach (var slot in plan.Free)
        {
            var free = ChangeIntent.Untagged(slot);
            free.Status = Slot.SlotStatus.Free;
            settled &= await WriteAsync(slot, free, cancellationToken);
        }

        if (settled)
        {
            await store.DeleteAsync(intent, cancellationToken);
        }

        if (!plan.IsEmpty)
        {
            LogRepaired(logger, changeId, plan.Restores.Count + plan.SlotRestores.Count, plan.Cancel.Count, plan.Free.Count, plan.Deletes.Count);
        }

        return !plan.IsEmpty;
    }

    /// <summary>Fresh: the resource of the change's last planned write, or (a create) what of its type the change tagged.</summary>
    private async Task<IReadOnlyList<Resource>> LastWrittenAsync(
        string changeId, IReadOnlyList<PlannedWrite> planned, IReadOnlyList<Appointment> appointments, CancellationToken cancellationToken)
    {
        if (planned.Count == 0)
        {
            return [];
        }

        var last = planned[^1];
        if (!last.IsCreate)
        {
            return await store.ReadAsync(new FhirReference(last.ResourceType, last.Id!), cancellationToken) is { } current ? [current] : [];
        }

        return last.ResourceType == "Appointment" ? appointments
            : await store.SearchAllAsync(ChangeIntentSearches.TaggedBy(last.ResourceType, changeId), cancellationToken);
    }

    /// <summary>Fresh: the blocks on the slots' schedules overlapping their time (what a rolled-back slot may lie under).</summary>
    private async Task<IReadOnlyList<Slot>> BlocksOverAsync(IReadOnlyList<Slot> slots, CancellationToken cancellationToken)
    {
        var timed = slots.Where(s => s.Start is not null && s.End is not null && FhirReference.From(s.Schedule) is not null).ToList();
        if (timed.Count == 0)
        {
            return [];
        }

        var schedules = timed.Select(s => FhirReference.From(s.Schedule) is { } schedule ? schedule.Id : string.Empty).Distinct(StringComparer.Ordinal);
        var near = await store.SearchAllAsync<Slot>(SlotSearches.Overlapping(schedules, timed.Min(s => s.Start!.Value), timed.Max(s => s.End!.Value)), cancellationToken);
        return [.. near.Where(BlockNesting.IsBlock)];
    }

    /// <summary>A created resource deleted at the version just read; false when someone else wrote it first.</summary>
    private async Task<bool> DeleteAsync(Resource current, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(current, cancellationToken);
            return true;
        }
        catch (FhirVersionConflictException)
        {
            return false;
        }
    }

    private static Appointment Cancelled(Appointment appointment)
    {
        var cancelled = ChangeIntent.Untagged(appointment);
        cancelled.Status = Appointment.AppointmentStatus.Cancelled;
        cancelled.CancelationReason = new CodeableConcept { Text = CancelReason };
        AppointmentChanges.ClearHold(cancelled);
        return cancelled;
    }

    /// <summary>One repair write at the version just read; false when someone else wrote it first (the next round looks again).</summary>
    private async Task<bool> WriteAsync(Resource current, Resource changed, CancellationToken cancellationToken)
    {
        try
        {
            await store.UpdateAsync(changed, current.Meta?.VersionId, cancellationToken);
            return true;
        }
        catch (FhirVersionConflictException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Repaired interrupted change {ChangeId}: {Restored} resources put back, {Cancelled} appointments cancelled, {Freed} slots freed, {Deleted} created slots deleted")]
    private static partial void LogRepaired(ILogger logger, string changeId, int restored, int cancelled, int freed, int deleted);
}

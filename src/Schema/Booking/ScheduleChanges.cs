using Hl7.Fhir.Model;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// What every change of a schedule's slots shares (block, unblock, createSlots, deleteSlots): who may manage which
/// schedule and slots, and applying a change so that a lost race reads everything again and retries; whatever the
/// FHIR server refuses leaves nothing behind and is typed at the edge (<see cref="FhirRefusal"/>).
/// </summary>
public sealed class ScheduleChanges(IFhirStore store, FhirChangeSet changes, SchedulingAccess access, SpanGuards guards, ContendedRetry retry, TimeProvider time)
{
    public IFhirStore Store => store;

    public SpanGuards Guards => guards;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Patients (and callers without a role) manage no schedule; refused before anything is read.</summary>
    public void RequireManagerRole() =>
        SchedulingAccess.Require(access.ManagesSchedules, () => new ForbiddenError("Only schedulers, admins and a schedule's own practitioner manage schedules."));

    public async Task<Schedule> ReadToManageAsync(string scheduleId, CancellationToken cancellationToken)
    {
        RequireManagerRole();
        var schedule = await store.ReadRequiredAsync<Schedule>(Mutations.RequireId(scheduleId, "scheduleId"), cancellationToken);
        SchedulingAccess.Require(access.CanManage(schedule), () => new ForbiddenError($"Schedule '{schedule.Id}' is not this caller's to manage."));
        return schedule;
    }

    /// <summary>For a practitioner, every schedule the slots belong to must be theirs (one search for all of them).</summary>
    public async Task RequireManagesSlotsAsync(IReadOnlyCollection<Slot> slots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slots);
        if (access.SeesEverything)
        {
            return;
        }

        var scheduleIds = slots.Select(s => FhirReference.From(s.Schedule)?.Id ?? string.Empty).Distinct().ToList();
        var schedules = scheduleIds.Any(id => id.Length == 0) ? []
            : await store.SearchAllAsync<Schedule>(ScheduleSearches.ByIds(scheduleIds), cancellationToken);
        SchedulingAccess.Require(schedules.Count == scheduleIds.Count && schedules.All(access.CanManage),
            () => new ForbiddenError("These slots are not all on this caller's schedules."));
    }

    /// <summary>Applies one change whole or not at all (<see cref="FhirChangeSet"/>); the caller orders its guard claims last.</summary>
    public Task<IReadOnlyList<Resource>> ApplyAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken) =>
        changes.ApplyAsync(writes, cancellationToken);

    /// <summary>
    /// Runs a read-check-write attempt until it is not overtaken: an If-Match lost to another change (a slot, a
    /// guard, or a resource deleted meanwhile) reads everything again. Past the budget, a typed
    /// <see cref="ConflictError"/>; a change the FHIR server refuses was undone or never applied, and is typed as
    /// every refusal is (<see cref="FhirRefusal"/>).
    /// </summary>
    public Task<T> RetryingAsync<T>(Func<Task<T>> attempt, string overtaken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        return retry.RunAsync(() => OvertakenAsContended(attempt), overtaken, cancellationToken);
    }

    private static async Task<T> OvertakenAsContended<T>(Func<Task<T>> attempt)
    {
        try
        {
            return await attempt();
        }
        catch (FhirException e) when (IsOvertaken(e))
        {
            throw new ContendedException(e);
        }
    }

    /// <summary>
    /// The key of a schedule's slots guard: claimed by every change that decides from the schedule's slots which slots
    /// to write (blockTime, createSlots), so that a slot created meanwhile is never left free under a new block.
    /// </summary>
    public static string SlotsGuardKey(string scheduleId) => "Schedule/" + scheduleId + ":slots";

    /// <summary>Another change got there first: a version moved on, or a resource read was deleted since.</summary>
    private static bool IsOvertaken(FhirException e) => e is FhirVersionConflictException or FhirResourceNotFoundException;

    public static SchedulingException Fail(SchedulingError error) => new(error);
}

using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Schedules;

public sealed record PeriodInput
{
    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }
}

public sealed record CreateScheduleInput
{
    /// <summary>References: Practitioner/1, Location/2, HealthcareService/3.</summary>
    public IEnumerable<string> ActorIds { get; init; } = [];

    public IEnumerable<string>? ServiceTypes { get; init; }

    public IEnumerable<string>? Specialties { get; init; }

    public PeriodInput? PlanningHorizon { get; init; }

    public string? Comment { get; init; }

    public string? TimeZone { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record AvailableTimeInput
{
    public IEnumerable<DayOfWeek> DaysOfWeek { get; init; } = [];

    /// <summary>"09:00", wall-clock time in the schedule's time zone.</summary>
    public string StartTime { get; init; } = string.Empty;

    public string EndTime { get; init; } = string.Empty;
}

public sealed record NotAvailableInput
{
    public DateTimeOffset Start { get; init; }

    public DateTimeOffset End { get; init; }

    public string? Description { get; init; }
}

public sealed record SetAvailabilityInput
{
    public string ScheduleId { get; init; } = string.Empty;

    public string TimeZone { get; init; } = string.Empty;

    public IEnumerable<AvailableTimeInput> AvailableTimes { get; init; } = [];

    public IEnumerable<NotAvailableInput>? NotAvailable { get; init; }

    public int SlotMinutes { get; init; }

    public int? BufferBeforeMinutes { get; init; }

    public int? BufferAfterMinutes { get; init; }

    public int? AlignmentMinutes { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record CreateSlotsInput
{
    public string ScheduleId { get; init; } = string.Empty;

    /// <summary>First day, "2026-12-01", in the time zone.</summary>
    public string From { get; init; } = string.Empty;

    /// <summary>Last day, inclusive.</summary>
    public string To { get; init; } = string.Empty;

    public IEnumerable<DayOfWeek> DaysOfWeek { get; init; } = [];

    public string StartTime { get; init; } = string.Empty;

    public string EndTime { get; init; } = string.Empty;

    public int SlotMinutes { get; init; }

    /// <summary>Default: the schedule's time zone, else UTC.</summary>
    public string? TimeZone { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record BlockTimeInput
{
    public string ScheduleId { get; init; } = string.Empty;

    public DateTimeOffset Start { get; init; }

    public DateTimeOffset End { get; init; }

    public string? Comment { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record SlotIdsInput
{
    public IEnumerable<string> SlotIds { get; init; } = [];

    public string? ClientMutationId { get; init; }
}

public sealed record SlotIdInput
{
    public string SlotId { get; init; } = string.Empty;

    public string? ClientMutationId { get; init; }
}

/// <summary>What createSlots made and what it left alone.</summary>
public sealed record CreatedSlots(int Created, int Skipped, IReadOnlyList<Slot> Slots);

/// <summary>
/// A clinic managing its availability: schedules, recurring rules, generated slots, blocked time. Every change to
/// an existing slot uses its version (If-Match), so a booking made meanwhile is never overwritten or deleted.
/// </summary>
public sealed class ScheduleManagement(IFhirStore store, FhirChangeSet changes, SchedulingAccess access)
{
    private static readonly string[] ActorTypes = ["Practitioner", "PractitionerRole", "Location", "HealthcareService", "Patient", "Device", "RelatedPerson"];

    public async Task<Schedule> CreateScheduleAsync(CreateScheduleInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        RequireManagerRole();
        var actors = new List<FhirReference>();
        foreach (var actorId in input.ActorIds)
        {
            if (!FhirReference.TryParse(actorId, out var actor) || !ActorTypes.Contains(actor.ResourceType))
            {
                throw Fail(new ValidationError($"'{Truncate(actorId)}' is not a reference to a schedulable actor (Practitioner/1, Location/2, ...).", "actorIds"));
            }

            actors.Add(actor);
        }

        if (actors.Count == 0)
        {
            throw Fail(new ValidationError("A schedule needs at least one actor.", "actorIds"));
        }

        // Decided on the references alone, before any of them is read: a missing and an existing id get the same refusal.
        SchedulingAccess.Require(access.CanCreateScheduleFor(actors),
            () => new ForbiddenError("A practitioner creates schedules only for themselves, with locations and services; other actors are named by schedulers and admins."));
        foreach (var actor in actors.Distinct())
        {
            if (await store.ReadAsync(actor, cancellationToken) is null)
            {
                throw Fail(new NotFoundError($"{actor} does not exist.", actor.ResourceType, actor.Id));
            }
        }

        if (input.PlanningHorizon is { Start: { } hs, End: { } he } && he <= hs)
        {
            throw Fail(new ValidationError("The planning horizon must end after it starts.", "planningHorizon"));
        }

        var schedule = new Schedule
        {
            Active = true,
            Actor = [.. actors.Select(a => new ResourceReference(a.ToString()))],
            ServiceType = [.. (input.ServiceTypes ?? []).Select(Concept)],
            Specialty = [.. (input.Specialties ?? []).Select(Concept)],
            Comment = input.Comment,
            PlanningHorizon = input.PlanningHorizon is null ? null : new Period(
                input.PlanningHorizon.Start is { } start ? new FhirDateTime(start) : null,
                input.PlanningHorizon.End is { } end ? new FhirDateTime(end) : null),
        };
        if (input.TimeZone is { } zone)
        {
            RequireTimeZone(zone);
            schedule.Extension.Add(new Extension(GatewayProfile.TimeZoneExtension, new Code(zone)));
        }

        return await store.CreateAsync(schedule, cancellationToken);
    }

    /// <summary>Patients (and callers without a role) manage no schedule; refused before anything is read.</summary>
    internal void RequireManagerRole() =>
        SchedulingAccess.Require(access.ManagesSchedules, () => new ForbiddenError("Only schedulers, admins and a schedule's own practitioner manage schedules."));

    internal async Task<Schedule> ReadToManageAsync(string scheduleId, CancellationToken cancellationToken)
    {
        RequireManagerRole();
        var schedule = await store.ReadRequiredAsync<Schedule>(Mutations.RequireId(scheduleId, "scheduleId"), cancellationToken);
        SchedulingAccess.Require(access.CanManage(schedule), () => new ForbiddenError($"Schedule '{schedule.Id}' is not this caller's to manage."));
        return schedule;
    }

    /// <summary>For a practitioner, every schedule the slots belong to must be theirs (one search for all of them).</summary>
    private async Task RequireManagesSlotsAsync(IReadOnlyCollection<Slot> slots, CancellationToken cancellationToken)
    {
        if (access.SeesEverything)
        {
            return;
        }

        var scheduleIds = slots.Select(s => FhirReference.From(s.Schedule)?.Id ?? string.Empty).Distinct().ToList();
        var schedules = scheduleIds.Any(id => id.Length == 0) ? []
            : await store.SearchAllAsync<Schedule>(FhirQuery.For<Schedule>().WhereAny("_id", scheduleIds), cancellationToken);
        SchedulingAccess.Require(schedules.Count == scheduleIds.Count && schedules.All(access.CanManage),
            () => new ForbiddenError("These slots are not all on this caller's schedules."));
    }

    public async Task<Schedule> SetAvailabilityAsync(SetAvailabilityInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        RequireTimeZone(input.TimeZone);
        if (input.SlotMinutes is < 5 or > 480)
        {
            throw Fail(new ValidationError("'slotMinutes' must be between 5 and 480.", "slotMinutes"));
        }

        var times = input.AvailableTimes.Select(t => new AvailableTime(
            [.. t.DaysOfWeek.Distinct()], ParseTime(t.StartTime, "startTime"), ParseTime(t.EndTime, "endTime"))).ToList();
        if (times.Count == 0 || times.Any(t => t.DaysOfWeek.Count == 0 || t.EndTime <= t.StartTime))
        {
            throw Fail(new ValidationError("Each available time needs days and an end after its start.", "availableTimes"));
        }

        var off = (input.NotAvailable ?? []).Select(n => new NotAvailableTime(n.Start, n.End, n.Description)).ToList();
        if (off.Any(n => n.End <= n.Start))
        {
            throw Fail(new ValidationError("Each not-available period must end after it starts.", "notAvailable"));
        }

        var rule = new AvailabilityRule(input.TimeZone, times, off, input.SlotMinutes,
            Minutes(input.BufferBeforeMinutes, "bufferBeforeMinutes"), Minutes(input.BufferAfterMinutes, "bufferAfterMinutes"),
            input.AlignmentMinutes is { } alignment ? Math.Max(1, Minutes(alignment, "alignmentMinutes")) : input.SlotMinutes);

        var schedule = await ReadToManageAsync(input.ScheduleId, cancellationToken);
        var changed = (Schedule)schedule.DeepCopy();
        rule.WriteTo(changed);
        return await store.UpdateAsync(changed, schedule.Meta?.VersionId, cancellationToken);
    }

    /// <summary>
    /// Blocks a time range: one busy-unavailable slot covers it and free slots inside it become busy-unavailable
    /// too (marked, so that unblocking frees exactly them). Refused while a booking stands in the range.
    /// </summary>
    public async Task<Slot> BlockTimeAsync(BlockTimeInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.End <= input.Start)
        {
            throw Fail(new ValidationError("'end' must be after 'start'.", "end"));
        }

        var schedule = await ReadToManageAsync(input.ScheduleId, cancellationToken);
        var inRange = (await store.SearchAllAsync<Slot>(
                FhirQuery.For<Slot>().Where("schedule", "Schedule/" + schedule.Id).WhereDate("start", "ge", input.Start.AddDays(-1)).WhereDate("start", "lt", input.End),
                cancellationToken))
            .Where(s => s.Start < input.End && input.Start < s.End)
            .ToList();
        var booked = inRange.Where(s => s.Status is SlotStatus.Busy or SlotStatus.BusyTentative).Select(s => s.Id!).ToList();
        if (booked.Count > 0)
        {
            throw Fail(new ConflictError($"The range has booked or held slots ({string.Join(", ", booked)}); cancel or move them first."));
        }

        var block = await store.CreateAsync(new Slot
        {
            Schedule = new ResourceReference("Schedule/" + schedule.Id),
            Status = SlotStatus.BusyUnavailable,
            Start = input.Start,
            End = input.End,
            Comment = input.Comment ?? "Blocked",
        }, cancellationToken);

        var writes = inRange.Where(s => s.Status == SlotStatus.Free).Select(s =>
        {
            var blocked = (Slot)s.DeepCopy();
            blocked.Status = SlotStatus.BusyUnavailable;
            blocked.SetExtension(GatewayProfile.BlockedByExtension, new ResourceReference("Slot/" + block.Id));
            return FhirWrite.Update(s, blocked);
        }).ToList();
        try
        {
            await changes.ApplyAsync(writes, cancellationToken);
        }
        catch (FhirVersionConflictException)
        {
            // A slot in the range was booked meanwhile: the block does not stand.
            await store.DeleteAsync(block, cancellationToken);
            throw Fail(new ConflictError("A slot in the range was booked meanwhile; the time was not blocked."));
        }

        return block;
    }

    /// <summary>Removes a block made by blockTime and frees the slots it had made unavailable.</summary>
    public async Task<IReadOnlyList<string>> UnblockTimeAsync(string slotId, CancellationToken cancellationToken)
    {
        RequireManagerRole();
        var block = await store.ReadRequiredAsync<Slot>(Mutations.RequireId(slotId, "slotId"), cancellationToken);
        await RequireManagesSlotsAsync([block], cancellationToken);
        if (block.Status != SlotStatus.BusyUnavailable || block.GetExtension(GatewayProfile.BlockedByExtension) is not null)
        {
            throw Fail(new ValidationError("That slot is not a block made by blockTime.", "slotId"));
        }

        var covered = await store.SearchAllAsync<Slot>(
            FhirQuery.For<Slot>().Where("schedule", block.Schedule?.Reference ?? string.Empty).WhereRaw("status", "busy-unavailable"), cancellationToken);
        var writes = covered.Where(s => (s.GetExtension(GatewayProfile.BlockedByExtension)?.Value as ResourceReference)?.Reference == "Slot/" + block.Id)
            .Select(s =>
            {
                var freed = (Slot)s.DeepCopy();
                freed.Status = SlotStatus.Free;
                freed.RemoveExtension(GatewayProfile.BlockedByExtension);
                return FhirWrite.Update(s, freed);
            }).ToList();
        await changes.ApplyAsync(writes, cancellationToken);
        await store.DeleteAsync(block, cancellationToken);
        return [.. writes.Select(w => w.Resource.Id!)];
    }

    /// <summary>Deletes free slots; a slot booked, held or blocked meanwhile is not deleted (If-Match).</summary>
    public async Task<IReadOnlyList<string>> DeleteSlotsAsync(IEnumerable<string> slotIds, CancellationToken cancellationToken)
    {
        RequireManagerRole();
        var ids = (slotIds ?? []).Distinct().Select(id => Mutations.RequireId(id, "slotIds")).ToList();
        var slots = ids.Count == 0 ? [] : await store.SearchAllAsync<Slot>(FhirQuery.For<Slot>().WhereAny("_id", ids), cancellationToken);
        if (ids.FirstOrDefault(id => slots.All(s => s.Id != id)) is { } missing)
        {
            throw Fail(new NotFoundError($"Slot/{missing} does not exist.", "Slot", missing));
        }

        // Whose slots first: a caller who may not manage them learns nothing of their status (booked or free).
        await RequireManagesSlotsAsync(slots, cancellationToken);
        var notFree = slots.Where(s => s.Status != SlotStatus.Free).Select(s => s.Id!).ToList();
        if (notFree.Count > 0)
        {
            throw Fail(new SlotUnavailableError("Only free slots can be deleted.", notFree));
        }

        var deleted = new List<string>();
        foreach (var slot in slots)
        {
            try
            {
                await store.DeleteAsync(slot, cancellationToken);
                deleted.Add(slot.Id!);
            }
            catch (FhirVersionConflictException)
            {
                throw Fail(new SlotUnavailableError(
                    $"Slot {slot.Id} changed meanwhile and was kept; deleted before it: {string.Join(", ", deleted)}.", [slot.Id!]));
            }
        }

        return deleted;
    }

    private static CodeableConcept Concept(string text)
    {
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar < 0
            ? new CodeableConcept { Text = text, Coding = [new Coding(null, text)] }
            : new CodeableConcept(text[..bar], text[(bar + 1)..]);
    }

    internal static TimeOnly ParseTime(string text, string field) =>
        TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw Fail(new ValidationError($"'{field}' must be a time such as 09:00.", field));

    private static int Minutes(int? value, string field) =>
        value is null or (>= 0 and <= 240) ? value ?? 0 : throw Fail(new ValidationError($"'{field}' must be between 0 and 240.", field));

    internal static void RequireTimeZone(string zone)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            throw Fail(new ValidationError($"'{Truncate(zone)}' is not a time zone (use IANA names such as Europe/Paris).", "timeZone"));
        }
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static SchedulingException Fail(SchedulingError error) => new(error);
}

using System.Globalization;
using Hl7.Fhir.Model;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

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

    /// <summary>Seats of each offered time (<see cref="SlotSeats"/>); default 1.</summary>
    public int? Capacity { get; init; }

    public string? ClientMutationId { get; init; }
}

/// <summary>A schedule's own cutoffs and caps (<see cref="ScheduleLimits"/>); a null one falls back to the global setting.</summary>
public sealed record SetBookingLimitsInput
{
    public string ScheduleId { get; init; } = string.Empty;

    public int? CancelNoticeMinutes { get; init; }

    public int? RescheduleNoticeMinutes { get; init; }

    public int? MaxBookingsPerDay { get; init; }

    public int? MaxBookingsPerWeek { get; init; }

    public string? ClientMutationId { get; init; }
}

/// <summary>
/// createSchedule and setAvailability: a clinic's schedules and their recurring rules. What changes a schedule's
/// slots (blockTime, unblockTime, createSlots, deleteSlots) goes through the booking core (<see cref="ScheduleChanges"/>).
/// </summary>
public sealed class ScheduleManagement(IFhirStore store, ScheduleChanges changes, SchedulingAccess access)
{
    private static readonly string[] ActorTypes = ["Practitioner", "PractitionerRole", "Location", "HealthcareService", "Patient", "Device", "RelatedPerson"];

    public async Task<Schedule> CreateScheduleAsync(CreateScheduleInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        changes.RequireManagerRole();
        var actors = new List<FhirReference>();
        foreach (var actorId in input.ActorIds)
        {
            if (!FhirReference.TryParse(actorId, out var actor) || !ActorTypes.Contains(actor.ResourceType))
            {
                throw Fail(new ValidationError($"'{ScheduleInputChecks.Truncate(actorId)}' is not a reference to a schedulable actor (Practitioner/1, Location/2, ...).", "actorIds"));
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
            ScheduleInputChecks.RequireTimeZone(zone);
            schedule.Extension.Add(new Extension(GatewayProfile.TimeZoneExtension, new Code(zone)));
        }

        return await store.CreateAsync(schedule, cancellationToken);
    }

    public async Task<Schedule> SetAvailabilityAsync(SetAvailabilityInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ScheduleInputChecks.RequireTimeZone(input.TimeZone);
        if (input.SlotMinutes is < 5 or > 480)
        {
            throw Fail(new ValidationError("'slotMinutes' must be between 5 and 480.", "slotMinutes"));
        }

        var times = input.AvailableTimes.Select(t => new AvailableTime(
            [.. t.DaysOfWeek.Distinct()], ScheduleInputChecks.ParseTime(t.StartTime, "startTime"), ScheduleInputChecks.ParseTime(t.EndTime, "endTime"))).ToList();
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
            input.AlignmentMinutes is { } alignment ? Math.Max(1, Minutes(alignment, "alignmentMinutes")) : input.SlotMinutes,
            SlotSeats.CheckedCapacity(input.Capacity));

        var schedule = await changes.ReadToManageAsync(input.ScheduleId, cancellationToken);
        var changed = (Schedule)schedule.DeepCopy();
        rule.WriteTo(changed);
        return await store.UpdateAsync(changed, schedule.Meta?.VersionId, cancellationToken);
    }

    /// <summary>Sets a schedule's cutoffs and caps, as those who manage it (schedulers, admins, its own practitioner) may.</summary>
    public async Task<Schedule> SetBookingLimitsAsync(SetBookingLimitsInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var limits = new ScheduleLimits(
            Bounded(input.CancelNoticeMinutes, ScheduleLimits.MaxNoticeMinutes, "cancelNoticeMinutes"), Bounded(input.RescheduleNoticeMinutes, ScheduleLimits.MaxNoticeMinutes, "rescheduleNoticeMinutes"),
            Bounded(input.MaxBookingsPerDay, 1000, "maxBookingsPerDay"), Bounded(input.MaxBookingsPerWeek, 10000, "maxBookingsPerWeek"));
        var schedule = await changes.ReadToManageAsync(input.ScheduleId, cancellationToken);
        var changed = (Schedule)schedule.DeepCopy();
        limits.WriteTo(changed);
        return await store.UpdateAsync(changed, schedule.Meta?.VersionId, cancellationToken);
    }

    private static int? Bounded(int? value, int max, string field) =>
        value is null || (value >= 0 && value <= max) ? value : throw Fail(new ValidationError($"'{field}' must be between 0 and {max}.", field));

    private static CodeableConcept Concept(string text)
    {
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar < 0
            ? new CodeableConcept { Text = text, Coding = [new Coding(null, text)] }
            : new CodeableConcept(text[..bar], text[(bar + 1)..]);
    }

    private static int Minutes(int? value, string field) =>
        value is null or (>= 0 and <= 240) ? value ?? 0 : throw Fail(new ValidationError($"'{field}' must be between 0 and 240.", field));

    private static SchedulingException Fail(SchedulingError error) => new(error);
}

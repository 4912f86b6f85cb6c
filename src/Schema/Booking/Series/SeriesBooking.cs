using Hl7.Fhir.Model;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.Series;

/// <summary>What to do with occurrences whose time is not free.</summary>
public enum SeriesMode
{
    /// <summary>Every occurrence or none: one that cannot be booked refuses the whole series, and nothing is written.</summary>
    AllOrNothing,

    /// <summary>Book the occurrences that can be booked, as one change, and report each other one with its typed reason.</summary>
    AvailableOnly,
}

/// <summary>What bookSeries asks for.</summary>
public sealed record BookSeriesRequest(
    string ScheduleId,
    SeriesRecurrence Recurrence,
    string PatientId,
    string? PractitionerId,
    string? ServiceType,
    string? Reason,
    string? Comment,
    SeriesMode Mode,
    string? ClientMutationId = null);

/// <summary>An occurrence left out of a series booked <see cref="SeriesMode.AvailableOnly"/>, and why (the error booking it alone would have met).</summary>
public sealed record SkippedOccurrence(int RecurrenceId, DateTimeOffset Start, DateTimeOffset End, SchedulingError Reason);

/// <summary>A series as booked: its template, the occurrences written, and those left out.</summary>
public sealed record BookedSeries(Appointment Template, IReadOnlyList<Appointment> Occurrences, IReadOnlyList<SkippedOccurrence> Skipped);

/// <summary>
/// bookSeries: every occurrence taken the way one booking is (<see cref="TimeTaking.CheckAsync"/> and
/// <see cref="TimeTaking.PlanWritesAsync"/>: the same checks, busy time, span guards and booking rules; the
/// open-bookings limit counts the series' own occurrences), then the template and all the occurrences written as
/// ONE change (<see cref="FhirChangeSet"/>: a transaction Bundle, or write by write with an intent the repair
/// undoes): a lost race or a crash leaves none of it. A lost race reads everything again (<see cref="ContendedRetry"/>).
/// </summary>
public sealed class SeriesBooking(TimeTaking taking, AppointmentChanges changes)
{
    public async Task<BookedSeries> BookAsync(BookSeriesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        taking.RequireMayBookFor(request.PatientId);
        if (request.Recurrence.Invalid() is { } invalid)
        {
            throw AppointmentChanges.Fail(invalid);
        }

        // Idempotent as bookAppointment is (TimeTaking's key, on the template): a retry returns the series written.
        var idempotencyKey = TimeTaking.IdempotencyKey(request.PatientId, request.ClientMutationId);
        if (idempotencyKey is not null && await taking.FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } earlier && GatewayProfile.IsSeriesTemplate(earlier))
        {
            return await WrittenAsync(earlier, cancellationToken);
        }

        var schedule = await changes.Store.ReadRequiredAsync<Schedule>(Mutations.RequireId(request.ScheduleId, "scheduleId"), cancellationToken);
        BookingChecks.RequireMayBookOn(changes.Access, schedule);
        var zoneName = GatewayProfile.TimeZoneOf(schedule) ??
            throw AppointmentChanges.Fail(new ValidationError($"Schedule '{schedule.Id}' has no time zone, so a wall-clock series has no meaning on it.", "scheduleId", "time-zone"));
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneName, out var zone))
        {
            throw AppointmentChanges.Fail(new ValidationError($"Schedule '{schedule.Id}''s time zone '{zoneName}' is unknown here.", "scheduleId", "time-zone"));
        }

        var occurrences = request.Recurrence.Occurrences(zone);
        var take = new TakeRequest(new BookingTime(null, null), request.PatientId, request.PractitionerId, request.ServiceType, request.Reason, request.Comment, null, null);
        var reads = new TakeReads { Schedule = schedule };
        return await changes.Retry.RunAsync(() => AttemptAsync(request, take, zoneName, occurrences, reads, idempotencyKey, cancellationToken),
            ContendedRetry.LostMessage, cancellationToken);
    }

    /// <summary>A series an earlier attempt wrote, as the caller may see it (what it skipped then is not recorded).</summary>
    private async Task<BookedSeries> WrittenAsync(Appointment template, CancellationToken cancellationToken)
    {
        var members = SeriesProfile.SeriesIdOf(template) is { } seriesId
            ? await changes.Store.SearchAllAsync<Appointment>(changes.Access.Narrow(SeriesSearches.Members(seriesId)), cancellationToken)
            : [];
        return new BookedSeries(template, [.. members.Where(a => SeriesProfile.IsOccurrence(a) && changes.Access.CanSee(a)).OrderBy(SeriesProfile.RecurrenceIdOf)], []);
    }

    private async Task<BookedSeries> AttemptAsync(
        BookSeriesRequest request, TakeRequest take, string zoneName, IReadOnlyList<SeriesOccurrence> occurrences, TakeReads reads, string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var (checkedTakes, skipped) = await CheckOccurrencesAsync(request, take, occurrences, reads, cancellationToken);
        var seriesId = SeriesProfile.NewSeriesId();
        var slotWrites = new List<FhirWrite>();
        var appointments = new List<Appointment>();
        var guards = new Dictionary<string, Basic>(StringComparer.Ordinal);
        foreach (var (occurrence, checkedTake) in checkedTakes)
        {
            var planned = await taking.PlanWritesAsync(take, checkedTake, null, reads, cancellationToken);
            SeriesProfile.MarkOccurrence(planned.Appointment, seriesId, occurrence.RecurrenceId);
            slotWrites.AddRange(planned.SlotWrites);
            appointments.Add(planned.Appointment);
            // A guard shared by occurrences (the patient's) is claimed once, at the version the first one read:
            // changed since, it loses its If-Match and the attempt reads everything again.
            foreach (var guard in planned.Guards)
            {
                guards.TryAdd(guard.Id!, guard);
            }
        }

        var template = SeriesProfile.Template(seriesId, request.Recurrence, zoneName, appointments[0]);
        if (idempotencyKey is not null)
        {
            template.Identifier.Add(new Identifier(GatewayProfile.ClientMutationIdSystem, idempotencyKey));
        }
        // The contended writes first (slots), then the template and the occurrences, the guards last (SpanGuards).
        List<FhirWrite> writes = [.. slotWrites, FhirWrite.Create(template), .. appointments.Select(FhirWrite.Create), .. SpanGuards.Claim(guards.Values)];
        var written = await changes.ApplyContendedAsync(writes, cancellationToken);
        var results = written.Skip(slotWrites.Count).Take(appointments.Count + 1).Cast<Appointment>().ToList();
        return new BookedSeries(results[0], results[1..], skipped);
    }

    /// <summary>
    /// Each occurrence checked as one booking is (the open-bookings limit and the caps counting the occurrences accepted
    /// before it): one refused refuses the whole (ALL_OR_NOTHING) or is skipped (AVAILABLE_ONLY); none bookable is a refusal.
    /// </summary>
    private async Task<(List<(SeriesOccurrence Occurrence, CheckedTake Checked)> Checked, List<SkippedOccurrence> Skipped)> CheckOccurrencesAsync(
        BookSeriesRequest request, TakeRequest take, IReadOnlyList<SeriesOccurrence> occurrences, TakeReads reads, CancellationToken cancellationToken)
    {
        var checkedTakes = new List<(SeriesOccurrence Occurrence, CheckedTake Checked)>();
        var skipped = new List<SkippedOccurrence>();
        // After a lost race every occurrence is checked again: guards standing do not prove the practitioner caps
        // unchanged (their day/week guards are claimed only on capped schedules; README, Known limits).
        foreach (var occurrence in occurrences)
        {
            var time = new BookingTime(null, new OfferedTime(request.ScheduleId, occurrence.Start, occurrence.End));
            IReadOnlyList<TimeRange> alsoOpening = [.. checkedTakes.Select(t => new TimeRange(t.Occurrence.Start, t.Occurrence.End))];
            try
            {
                checkedTakes.Add((occurrence, await taking.CheckAsync(take with { Time = time }, time, null, reads, alsoOpening, cancellationToken)));
            }
            catch (SchedulingException e) when (e.Error is SlotUnavailableError or ValidationError or BookingRuleError)
            {
                if (request.Mode == SeriesMode.AllOrNothing)
                {
                    throw AppointmentChanges.Fail(Naming(e.Error, occurrence.RecurrenceId, occurrence.Start, "No occurrence was booked."));
                }

                skipped.Add(new SkippedOccurrence(occurrence.RecurrenceId, occurrence.Start, occurrence.End, e.Error));
            }
        }

        if (checkedTakes.Count == 0)
        {
            throw AppointmentChanges.Fail(new SlotUnavailableError("No occurrence of the series can be booked; nothing was written.", []));
        }

        return (checkedTakes, skipped);
    }

    /// <summary>An occurrence's refusal, saying which occurrence it is and what came of the whole (<paramref name="outcome"/>).</summary>
    internal static SchedulingError Naming(SchedulingError error, int recurrenceId, DateTimeOffset start, string outcome)
    {
        var which = $"Occurrence {recurrenceId} ({InstantText.Iso(start)}): ";
        return error switch
        {
            SlotUnavailableError slot => slot with { Message = which + slot.Message + " " + outcome },
            ValidationError validation => validation with { Message = which + validation.Message + " " + outcome },
            BookingRuleError rule => rule with { Message = which + rule.Message + " " + outcome },
            _ => error,
        };
    }
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.Series;

/// <summary>What rescheduleSeriesFrom asks: from which occurrence on, to which local start time and/or weekday.</summary>
public sealed record RescheduleSeriesRequest(string AppointmentId, TimeOnly? StartTime, DayOfWeek? DayOfWeek, SeriesMode Mode);

/// <summary>A series rescheduled from an occurrence on: the new series' template and its occurrences (the moved ones), those left where they were, and the earlier series' template as it stands after.</summary>
public sealed record RescheduledSeries(Appointment Template, IReadOnlyList<Appointment> Occurrences, IReadOnlyList<SkippedOccurrence> Skipped, Appointment Earlier);

/// <summary>
/// rescheduleSeriesFrom ("this and all following"): every standing occurrence from the one named on (by
/// recurrenceId) moves to the new local start time and/or weekday, in its own week, in the series' time zone, each
/// checked and planned exactly as rescheduleAppointment moves one (<see cref="RescheduleHandler.PlanMoveAsync"/>),
/// and all of it written as ONE change. R5's shape has one pattern per template, so the tail becomes a series of its
/// own, as calendars split a series on "this and following" (RFC 5545's THISANDFUTURE): a new template with the new
/// pattern and the moved occurrences re-pointed to it (places from 1; they follow its pattern, so not
/// occurrenceChanged); the earlier template now ends after the places before (occurrenceCount), or, moved from the
/// first place with nothing left behind, is cancelled. ALL_OR_NOTHING (default) moves every one or none;
/// AVAILABLE_ONLY leaves one that cannot move where it was, in the earlier series, and reports it.
/// </summary>
public sealed class SeriesReschedule(AppointmentChanges changes, RescheduleHandler reschedule, SlotReservation reservation, CancelHandler cancel)
{
    public Task<RescheduledSeries> RescheduleFromAsync(RescheduleSeriesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.StartTime is null && request.DayOfWeek is null)
        {
            throw AppointmentChanges.Fail(new ValidationError("Say what changes: startTime, dayOfWeek or both.", "startTime"));
        }

        return changes.Retry.RunAsync(() => AttemptAsync(request, cancellationToken), ContendedRetry.LostMessage, cancellationToken);
    }

    /// <summary>What an attempt read of the series: the occurrence named, its place, the series' template, pattern and zone.</summary>
    private sealed record SeriesRead(Appointment From, string SeriesId, int First, IReadOnlyList<Appointment> Members, Appointment Template, SeriesPattern Pattern, TimeZoneInfo Zone);

    private async Task<RescheduledSeries> AttemptAsync(RescheduleSeriesRequest request, CancellationToken cancellationToken)
    {
        var read = await ReadAsync(request, cancellationToken);
        var (from, seriesId, first, members, template, pattern, zone) = read;

        // The one named, then every later standing occurrence the caller may see (an expired hold is no longer standing).
        var tail = members.Where(a => a.Id != from.Id && SeriesProfile.IsOccurrence(a) && SeriesProfile.RecurrenceIdOf(a) > first && changes.Access.CanSee(a) &&
                AppointmentSearches.IsOpen(a.Status) && !GatewayProfile.IsExpiredHold(a, changes.Now))
            .Prepend(from).OrderBy(SeriesProfile.RecurrenceIdOf).ToList();
        var startTime = request.StartTime ?? pattern.StartTime ?? TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(from.Start!.Value, zone).DateTime);
        var minutes = pattern.Minutes ?? from.MinutesDuration ?? (int)(from.End!.Value - from.Start!.Value).TotalMinutes;
        var (moves, skipped) = await PlanMovesAsync(request, read, tail, await ScheduleIdAsync(from, cancellationToken), startTime, minutes, cancellationToken);

        // The tail's own series: its template, the moved occurrences re-pointed to it, places from 1.
        var tailId = SeriesProfile.NewSeriesId();
        foreach (var (move, place) in moves.Select((m, i) => (m.Move, i + 1)))
        {
            SeriesProfile.MoveToSeries(move.Moved, tailId, place);
        }

        var recurrence = new SeriesRecurrence(moves[0].Day, startTime, minutes, request.DayOfWeek is { } d ? [d] : pattern.DaysOfWeek, pattern.WeekInterval, moves.Count, null);
        var tailTemplate = SeriesProfile.Template(tailId, recurrence, pattern.TimeZone, moves[0].Move.Moved);
        // Occurrences left behind (AVAILABLE_ONLY) keep the earlier template as it was.
        List<FhirWrite> earlierWrites = skipped.Count > 0 ? []
            : first > 1 ? [Ended(template, first - 1)]
            : await cancel.CancelWritesAsync(template, "Rescheduled from its first occurrence: the series goes on under a new template.", cancellationToken);

        var guards = new Dictionary<string, Basic>(StringComparer.Ordinal);
        foreach (var guard in moves.SelectMany(m => m.Move.Guards))
        {
            guards.TryAdd(guard.Id!, guard);
        }

        List<FhirWrite> writes = [.. moves.SelectMany(m => m.Move.Writes), FhirWrite.Create(tailTemplate), .. earlierWrites, .. SpanGuards.Claim(guards.Values)];
        var written = await changes.ApplyContendedAsync(writes, cancellationToken);
        var appointments = written.OfType<Appointment>().ToList();
        var movedIds = moves.Select(m => m.Move.Moved.Id).ToHashSet(StringComparer.Ordinal);
        return new RescheduledSeries(
            appointments.First(a => SeriesProfile.SeriesIdOf(a) == tailId && GatewayProfile.IsSeriesTemplate(a)),
            [.. appointments.Where(a => movedIds.Contains(a.Id)).OrderBy(SeriesProfile.RecurrenceIdOf)],
            skipped,
            appointments.FirstOrDefault(a => SeriesProfile.SeriesIdOf(a) == seriesId && GatewayProfile.IsSeriesTemplate(a)) ?? template);
    }

    /// <summary>The occurrence named (it must be one), its series' members, template, pattern and zone; a new weekday only for a series of one day.</summary>
    private async Task<SeriesRead> ReadAsync(RescheduleSeriesRequest request, CancellationToken cancellationToken)
    {
        var from = await changes.ReadToChangeAsync(request.AppointmentId, cancellationToken);
        if (!SeriesProfile.IsOccurrence(from) || SeriesProfile.SeriesIdOf(from) is not { } seriesId || SeriesProfile.RecurrenceIdOf(from) is not { } first)
        {
            throw AppointmentChanges.Fail(new ValidationError("The appointment is not an occurrence of a series; move it with rescheduleAppointment.", "appointmentId", "series-occurrence"));
        }

        var members = await changes.Store.SearchAllAsync<Appointment>(changes.Access.Narrow(SeriesSearches.Members(seriesId)), cancellationToken);
        var template = members.FirstOrDefault(GatewayProfile.IsSeriesTemplate) ?? throw AppointmentChanges.Fail(new NotFoundError("The series' template is not found.", "Appointment", seriesId));
        var pattern = SeriesProfile.PatternOf(template)!;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(pattern.TimeZone, out var zone))
        {
            throw AppointmentChanges.Fail(new ValidationError($"The series' time zone '{pattern.TimeZone}' is unknown here.", "appointmentId", "time-zone"));
        }

        if (request.DayOfWeek is not null && pattern.DaysOfWeek.Count > 1)
        {
            throw AppointmentChanges.Fail(new ValidationError("The series recurs on several days: a new weekday says nothing of which; change its start time only, or cancel from here and book a new series.", "dayOfWeek"));
        }

        return new SeriesRead(from, seriesId, first, members, template, pattern, zone);
    }

    /// <summary>The schedule the occurrence's slots are on (the tail moves on it).</summary>
    private async Task<string> ScheduleIdAsync(Appointment from, CancellationToken cancellationToken) =>
        (await reservation.OfAsync(from, cancellationToken)).FirstOrDefault()?.Schedule is { } reference && FhirReference.From(reference) is { } schedule
            ? schedule.Id
            : throw AppointmentChanges.Fail(new ValidationError("The occurrence has no slot on a schedule to move on.", "appointmentId"));

    /// <summary>
    /// Each occurrence of the tail planned to its new time as rescheduleAppointment plans one; one that cannot move
    /// refuses the whole (ALL_OR_NOTHING) or is skipped (AVAILABLE_ONLY); none movable is a refusal.
    /// </summary>
    private async Task<(List<(DateOnly Day, PlannedMove Move)> Moves, List<SkippedOccurrence> Skipped)> PlanMovesAsync(
        RescheduleSeriesRequest request, SeriesRead read, IReadOnlyList<Appointment> tail, string scheduleId, TimeOnly startTime, int minutes, CancellationToken cancellationToken)
    {
        var moves = new List<(DateOnly Day, PlannedMove Move)>();
        var skipped = new List<SkippedOccurrence>();
        foreach (var occurrence in tail)
        {
            var day = NewDay(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(occurrence.Start!.Value, read.Zone).DateTime), request.DayOfWeek);
            var start = SeriesRecurrence.ToInstant(day.ToDateTime(startTime), read.Zone);
            var time = new BookingTime(null, new OfferedTime(scheduleId, start, start.AddMinutes(minutes)));
            try
            {
                moves.Add((day, await reschedule.PlanMoveAsync(occurrence, time, cancellationToken)));
            }
            catch (SchedulingException e) when (e.Error is SlotUnavailableError or ValidationError)
            {
                var place = SeriesProfile.RecurrenceIdOf(occurrence)!.Value;
                if (request.Mode == SeriesMode.AllOrNothing)
                {
                    throw AppointmentChanges.Fail(SeriesBooking.Naming(e.Error, place, start, "No occurrence was moved."));
                }

                skipped.Add(new SkippedOccurrence(place, start, start.AddMinutes(minutes), e.Error));
            }
        }

        return moves.Count == 0
            ? throw AppointmentChanges.Fail(new SlotUnavailableError("No occurrence of the series can be moved there; nothing was written.", []))
            : (moves, skipped);
    }

    /// <summary>The earlier template, ending after <paramref name="places"/>.</summary>
    private static FhirWrite Ended(Appointment template, int places)
    {
        var ended = (Appointment)template.DeepCopy();
        SeriesProfile.EndAfter(ended, places);
        return FhirWrite.Update(template, ended);
    }

    /// <summary>The local day in the same week (weeks start on Monday) on the new weekday; the same day without one.</summary>
    private static DateOnly NewDay(DateOnly day, DayOfWeek? weekday) =>
        weekday is { } d ? day.AddDays(MondayOffset(d) - MondayOffset(day.DayOfWeek)) : day;

    private static int MondayOffset(DayOfWeek day) => ((int)day + 6) % 7;
}

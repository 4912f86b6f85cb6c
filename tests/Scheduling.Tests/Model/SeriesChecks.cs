using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.Series;

namespace Scheduling.Tests.Model;

/// <summary>
/// The invariants of recurring series, read straight from FHIR after a run and against what bookSeries and
/// cancelSeriesFrom answered. What FHIR alone shows (S1, S2) holds in runs where clients went away too.
/// </summary>
public static class SeriesChecks
{
    public static IEnumerable<string> Check(ModelWorld world, IReadOnlyList<Told> told, IReadOnlyList<Appointment> appointments, IEnumerable<Slot> slots)
    {
        // Blocks take the practitioner's time too: a block standing now, or one a client was told it made.
        var blockIds = told.Where(t => t.BlockId is not null).Select(t => t.BlockId!).ToHashSet();
        var blocks = slots.Where(s => s.Status == Slot.SlotStatus.BusyUnavailable || blockIds.Contains(s.Id!)).ToList();
        // An appointment that took the place may have been rescheduled away since: FHIR's last version no longer
        // shows the time it held, so a run with a successful reschedule cannot tell "never taken" from it.
        var anyMoved = told.Any(t => t.Succeeded && t.Op is Op.Reschedule);
        var templates = appointments.Where(GatewayProfile.IsSeriesTemplate).ToList();
        var occurrences = appointments.Where(SeriesProfile.IsOccurrence).ToList();
        var bySeries = occurrences.ToLookup(a => SeriesProfile.SeriesIdOf(a) ?? string.Empty);

        // S2 Occurrences point at their template: the originatingAppointment names the occurrence's own series, of
        // which exactly one template exists; every template has an occurrence.
        foreach (var occurrence in occurrences)
        {
            var seriesId = SeriesProfile.SeriesIdOf(occurrence);
            var pointsAt = (occurrence.GetExtension(GatewayProfile.OriginatingAppointmentExtension)?.Value as ResourceReference)?.Identifier?.Value;
            var owners = templates.Count(t => SeriesProfile.SeriesIdOf(t) == seriesId);
            if (seriesId is null || pointsAt != seriesId || owners != 1)
            {
                yield return $"S2 occurrence Appointment/{occurrence.Id} of series {seriesId} points at {pointsAt}, which {owners} templates carry";
            }
        }

        foreach (var template in templates.Where(t => !bySeries[SeriesProfile.SeriesIdOf(t)!].Any()))
        {
            yield return $"S2 template Appointment/{template.Id} has no occurrence";
        }

        // S1 A series is whole or absent: booked ALL_OR_NOTHING (its comment says so), its template stands with every
        // place 1..count written once; AVAILABLE_ONLY, with places among 1..count, each at most once. Occurrences are
        // never deleted (a cancelled one is still its series' record), so whatever happened after, this holds.
        foreach (var template in templates)
        {
            var count = SeriesProfile.PatternOf(template)?.OccurrenceCount ?? 0;
            var places = bySeries[SeriesProfile.SeriesIdOf(template)!].Select(a => SeriesProfile.RecurrenceIdOf(a) ?? 0).Order().ToList();
            var whole = template.Comment == ModelWorld.AllOrNothingComment
                ? places.SequenceEqual(Enumerable.Range(1, count))
                : places.Distinct().Count() == places.Count && places.All(p => p >= 1 && p <= count);
            if (!whole)
            {
                yield return $"S1 series {SeriesProfile.SeriesIdOf(template)} ({template.Comment}, {count} occurrences) has places [{string.Join(",", places)}] in FHIR";
            }
        }

        // S3 What bookSeries answered: ALL_OR_NOTHING every place; AVAILABLE_ONLY the places written and those
        // skipped make up the series, each once, and FHIR holds exactly the occurrences told. A place skipped because
        // its time was not free was taken meanwhile: some other appointment (of any status now: appointments are
        // never deleted) of the practitioner overlaps it, or a block does.
        foreach (var t in told.Where(t => t.Succeeded && t.Op is Op.BookSeries))
        {
            var asked = (Op.BookSeries)t.Op;
            var toldIds = t.Occurrences.Select(Told.IdOf).OfType<string>().ToHashSet();
            var inFhir = occurrences.Where(a => toldIds.Contains(a.Id!)).ToList();
            var seriesIds = inFhir.Select(SeriesProfile.SeriesIdOf).Distinct().ToList();
            var written = seriesIds.Count == 1 ? bySeries[seriesIds[0]!].Select(a => a.Id!).ToHashSet() : [];
            var places = inFhir.Select(a => SeriesProfile.RecurrenceIdOf(a) ?? 0).Concat(t.Skipped.Select(s => s.Place)).Order().ToList();
            if (!places.SequenceEqual(Enumerable.Range(1, asked.Count)) || (asked.AllOrNothing && t.Skipped.Count > 0) || !written.SetEquals(toldIds))
            {
                yield return $"S3 {t.Op} was told occurrences [{string.Join(",", toldIds)}] and skipped [{string.Join(",", t.Skipped.Select(s => s.Place))}]; " +
                             $"FHIR holds [{string.Join(",", written)}] of series [{string.Join(",", seriesIds)}]";
            }

            foreach (var (place, _) in t.Skipped.Where(s => s.Code == "SLOT_UNAVAILABLE"))
            {
                var start = new DateTimeOffset(world.Day.AddDays(7 * (asked.FirstWeek + place - 1)).ToDateTime(new TimeOnly(14, 0)), TimeSpan.Zero).AddMinutes(30 * (asked.Half % 8));
                var end = start.AddMinutes(30);
                if (!appointments.Any(a => !toldIds.Contains(a.Id!) && a.Start < end && start < a.End &&
                                           a.Participant.Any(p => p.Actor?.Reference == "Practitioner/" + world.Practitioner.Id)) &&
                    !blocks.Any(b => b.Start < end && start < b.End) &&
                    !anyMoved)
                {
                    yield return $"S3 {t.Op} skipped place {place} ({start:MM-dd HH:mm}) as taken, but no other appointment of the practitioner ever overlapped it";
                }
            }
        }

        // S4 cancelSeriesFrom: what it answered cancelled stays cancelled, and a template it answered cancelled is.
        var byId = appointments.ToDictionary(a => a.Id!);
        foreach (var t in told.Where(t => t.Succeeded && t.Op is Op.CancelSeriesFrom))
        {
            foreach (var id in t.Cancelled.Where(id => byId.GetValueOrDefault(id)?.Status != Appointment.AppointmentStatus.Cancelled))
            {
                yield return $"S4 {t.Op} answered Appointment/{id} cancelled; it is {byId.GetValueOrDefault(id)?.Status} in FHIR";
            }

            var template = byId.GetValueOrDefault(t.Target!) is { } from && SeriesProfile.SeriesIdOf(from) is { } seriesId
                ? templates.FirstOrDefault(x => SeriesProfile.SeriesIdOf(x) == seriesId) : null;
            if (t.TemplateStatus == "CANCELLED" && template?.Status != Appointment.AppointmentStatus.Cancelled)
            {
                yield return $"S4 {t.Op} answered its template cancelled; it is {template?.Status} in FHIR";
            }
        }
    }
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.Series;

/// <summary>The occurrences a "this and all following" cancel cancelled, and the series' template as it stands after it.</summary>
public sealed record CancelledOccurrences(IReadOnlyList<Appointment> Cancelled, Appointment? Template);

/// <summary>
/// cancelSeriesFrom: an occurrence and every later one of its series (by recurrenceId, R5's order of the series,
/// whether or not one was moved) cancelled as ONE change, each exactly as cancelAppointment cancels it
/// (<see cref="CancelHandler.CancelWritesAsync"/>: its slots freed unless another holds them), each held to the cancel
/// notice (<see cref="CancelHandler.CheckNoticeAsync"/>; one inside it refuses the whole). Occurrences that can
/// no longer be cancelled (cancelled already, fulfilled, arrived, a no-show) are left as they are. Cancelled from
/// its first occurrence, the series' template is cancelled too; otherwise it stands for the occurrences before.
/// </summary>
public sealed class SeriesCancel(AppointmentChanges changes, CancelHandler cancel)
{
    public async Task<CancelledOccurrences> CancelFromAsync(string appointmentId, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw AppointmentChanges.Fail(new ValidationError("A cancellation needs a reason.", "reason"));
        }

        var from = await changes.ReadToChangeAsync(appointmentId, cancellationToken);
        if (!SeriesProfile.IsOccurrence(from) || SeriesProfile.SeriesIdOf(from) is not { } seriesId || SeriesProfile.RecurrenceIdOf(from) is not { } first)
        {
            throw AppointmentChanges.Fail(new ValidationError("The appointment is not an occurrence of a series; cancel it with cancelAppointment.", "appointmentId", "series-occurrence"));
        }

        StandingTime.RefuseExpiredHold(from, changes.Now, Appointment.AppointmentStatus.Cancelled);
        if (!CancelHandler.Cancellable(from))
        {
            // The one named is refused as cancelAppointment refuses it.
            await cancel.CancelWritesAsync(from, reason, cancellationToken);
        }

        var members = await changes.Store.SearchAllAsync<Appointment>(changes.Access.Narrow(SeriesSearches.Members(seriesId)), cancellationToken);
        var following = members.Where(a => a.Id != from.Id && SeriesProfile.IsOccurrence(a) && SeriesProfile.RecurrenceIdOf(a) >= first && changes.Access.CanSee(a) &&
                CancelHandler.Cancellable(a) && !GatewayProfile.IsExpiredHold(a, changes.Now))
            .Prepend(from).OrderBy(SeriesProfile.RecurrenceIdOf).ToList();
        var template = members.FirstOrDefault(GatewayProfile.IsSeriesTemplate);
        var writes = new List<FhirWrite>();
        // Each occurrence answers to the cancel notice as cancelAppointment would (a moved one may be nearer than the
        // first): one inside its cutoff refuses the whole change, nothing cancelled.
        await cancel.CheckNoticeAsync(following, cancellationToken);

        foreach (var occurrence in following)
        {
            writes.AddRange(await cancel.CancelWritesAsync(occurrence, reason, cancellationToken));
        }

        var cancelsTemplate = template is not null && CancelHandler.Cancellable(template) &&
            !members.Any(a => SeriesProfile.IsOccurrence(a) && SeriesProfile.RecurrenceIdOf(a) < first && AppointmentSearches.IsActive(a));
        if (cancelsTemplate)
        {
            writes.AddRange(await cancel.CancelWritesAsync(template!, reason, cancellationToken));
        }

        var written = await changes.ApplyAsync(writes, cancellationToken);
        var appointments = written.OfType<Appointment>().ToList();
        return new CancelledOccurrences(
            [.. appointments.Where(SeriesProfile.IsOccurrence)],
            cancelsTemplate ? appointments.First(GatewayProfile.IsSeriesTemplate) : template);
    }
}

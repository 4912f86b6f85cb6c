using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// What every appointment change shares: reading the appointment the caller may change, applying the writes as
/// one change (<see cref="FhirChangeSet"/>, versions read as If-Match) and turning a lost race into a typed error.
/// </summary>
public sealed class AppointmentChanges(IFhirStore store, FhirChangeSet changes, SchedulingAccess access, ContendedRetry retry, TimeProvider time)
{
    public IFhirStore Store => store;

    /// <summary>The one retry of a change that lost a race (<see cref="ContendedRetry"/>).</summary>
    public ContendedRetry Retry => retry;

    public SchedulingAccess Access => access;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>
    /// The appointment a change is about, if the caller may see it. For patients and practitioners a missing one
    /// is refused exactly like another's, so a mutation cannot probe for ids. A series' template is no appointment
    /// of its own to confirm, cancel, move or answer: every change is refused (<see cref="RefuseSeriesTemplate"/>).
    /// </summary>
    public async Task<Appointment> ReadToChangeAsync(string appointmentId, CancellationToken cancellationToken) =>
        RefuseSeriesTemplate(await ReadVisibleAsync(appointmentId, cancellationToken));

    /// <summary>The one decision that an ordinary change of an appointment does not apply to a series' template.</summary>
    public static Appointment RefuseSeriesTemplate(Appointment appointment) =>
        GatewayProfile.IsSeriesTemplate(appointment)
            ? throw Fail(new ValidationError(
                $"Appointment '{appointment?.Id}' is a recurring series' template, not an appointment: change its occurrences (cancel them with cancelSeriesFrom).",
                "appointmentId", "series-template"))
            : appointment;

    private async Task<Appointment> ReadVisibleAsync(string appointmentId, CancellationToken cancellationToken)
    {
        var id = Mutations.RequireId(appointmentId, "appointmentId");
        // A caller without a role changes no appointment: refused before the read, whatever the id.
        SchedulingAccess.Require(access.ChangesAppointments, () => ForbiddenError.NotYours("Appointment", id));
        if (access.SeesEverything)
        {
            return await store.ReadRequiredAsync<Appointment>(id, cancellationToken);
        }

        var appointment = await store.ReadAsync<Appointment>(id, cancellationToken);
        return appointment is not null && access.CanSee(appointment) ? appointment : throw ForbiddenError.NotYours("Appointment", id);
    }

    /// <summary>Applies a change that takes time; a lost If-Match (a slot or a span guard) is a <see cref="ContendedException"/>, to retry.</summary>
    public async Task<IReadOnlyList<Resource>> ApplyContendedAsync(List<FhirWrite> writes, CancellationToken cancellationToken)
    {
        try
        {
            return await changes.ApplyAsync(writes, cancellationToken);
        }
        catch (FhirVersionConflictException e)
        {
            throw new ContendedException(e);
        }
    }

    /// <summary>
    /// Applies a change of an existing appointment that takes no time. Someone else's change meanwhile (a lost
    /// If-Match) is typed where every FHIR refusal is, at the mutation edge (<see cref="FhirRefusal"/>).
    /// </summary>
    public Task<IReadOnlyList<Resource>> ApplyAsync(List<FhirWrite> writes, CancellationToken cancellationToken) =>
        changes.ApplyAsync(writes, cancellationToken);

    public static void ClearHold(Appointment appointment)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        appointment.RemoveExtension(GatewayProfile.HoldExpiresExtension);
        appointment.Meta?.Tag.RemoveAll(t => t.System == GatewayProfile.TagSystem && t.Code == GatewayProfile.HoldTag);
    }

    public static bool IsRequired(Appointment.ParticipantComponent participant) =>
        participant?.Required is null or Appointment.ParticipantRequired.Required;

    public static Appointment.ParticipantComponent Participant(string reference, ParticipationStatus status) => new()
    {
        Actor = new ResourceReference(reference),
        Required = Appointment.ParticipantRequired.Required,
        Status = status,
    };

    public static SchedulingException Transition(Appointment appointment, AppointmentStatus to, string message) =>
        Fail(new InvalidTransitionError(message, appointment?.Status?.GetLiteral() ?? "none", to.GetLiteral()));

    public static SchedulingException Fail(SchedulingError error) => new(error);
}

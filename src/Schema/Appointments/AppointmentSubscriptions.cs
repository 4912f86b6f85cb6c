using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Appointments;

public enum AppointmentChangeKind
{
    Created,
    Updated,
    Cancelled,
    Deleted,

    /// <summary>Not a version: the events a resuming client missed cannot be told (<see cref="AppointmentChanged.Refetch"/>).</summary>
    RefetchRequired,
}

/// <summary>One version of an appointment, as a subscriber receives it; or the signal to refetch (<see cref="Refetch"/>, no appointment).</summary>
public sealed record AppointmentChanged(
    AppointmentChangeKind Kind, string? AppointmentId, Appointment? Appointment, string? VersionId, DateTimeOffset OccurredAt, RefetchRequired? Refetch = null)
{
    public static AppointmentChanged RefetchSignal(RefetchRequired refetch, TimeProvider clock) =>
        new(AppointmentChangeKind.RefetchRequired, null, null, null, clock.GetUtcNow(), refetch);
}

public static class AppointmentSubscriptions
{
    public static void AddTo(ObjectGraphType subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        subscription.Field<NonNullGraphType<AppointmentChangedType>>("appointmentChanged")
            .Description("Every new version of the matching appointments, from this gateway, other instances, or changes made on the FHIR server directly.")
            .Argument<IdGraphType>("appointmentId", a => a.Description = "Only this appointment.")
            .Argument<IdGraphType>("patientId", a => a.Description = "Only appointments of this patient.")
            .Argument<IdGraphType>("practitionerId", a => a.Description = "Only appointments with this practitioner.")
            .Argument<IdGraphType>("scheduleId", a => a.Description = "Appointments on slots of this schedule.")
            .ResolveStream(c =>
            {
                var services = c.RequestServices!;
                var appointmentId = c.GetArgument<string?>("appointmentId");
                var patient = c.GetArgument<string?>("patientId") is { } p ? "Patient/" + p : null;
                var practitioner = c.GetArgument<string?>("practitionerId") is { } d ? "Practitioner/" + d : null;
                var scheduleId = c.GetArgument<string?>("scheduleId");
                // Events are filtered like queries: a caller hears only of appointments they may see.
                var access = services.GetRequiredService<SchedulingAccess>();
                return ChangeSubscription.For(
                    c,
                    "Appointment",
                    async (change, cancellationToken) =>
                    {
                        if (change.Resource is not Appointment appointment || (appointmentId is not null && change.Id != appointmentId) || !access.CanSee(appointment))
                        {
                            return false;
                        }

                        var actors = appointment.Participant.Select(a => FhirReference.From(a.Actor)?.ToString()).ToHashSet();
                        if ((patient is not null && !actors.Contains(patient)) || (practitioner is not null && !actors.Contains(practitioner)))
                        {
                            return false;
                        }

                        if (scheduleId is null)
                        {
                            return true;
                        }

                        // Read once for the event, however many subscribers filter on it (and their slots fields reuse it).
                        var slots = appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Where(r => r.ResourceType == "Slot").Distinct().ToList();
                        return (await EventReads.ReadAsync<Slot>(services, change, slots, cancellationToken))
                            .Any(s => FhirReference.From(s.Schedule)?.Id == scheduleId);
                    },
                    change => new AppointmentChanged(KindOf(change), change.Id, change.Resource as Appointment, change.VersionId, change.OccurredAt));
            })
            .ResolveEachEventFresh(refetch => AppointmentChanged.RefetchSignal(refetch, TimeProvider.System));
    }

    private static AppointmentChangeKind KindOf(ResourceEvent change) => change.Kind switch
    {
        ChangeKind.Deleted => AppointmentChangeKind.Deleted,
        _ when (change.Resource as Appointment)?.Status == Appointment.AppointmentStatus.Cancelled => AppointmentChangeKind.Cancelled,
        ChangeKind.Created => AppointmentChangeKind.Created,
        _ => AppointmentChangeKind.Updated,
    };
}

public sealed class AppointmentChangeKindType : EnumerationGraphType<AppointmentChangeKind>
{
    public AppointmentChangeKindType()
    {
        Name = "AppointmentChangeKind";
        Description = "What happened to an appointment.";
        this.DescribeValues(
            ("CREATED", "It was made."),
            ("UPDATED", "It changed in another way (status, participants, times, ...)."),
            ("CANCELLED", "It was cancelled."),
            ("DELETED", "It was deleted from the FHIR server."),
            ("REFETCH_REQUIRED", "Not a change: the events since the client's last event id cannot be told (see refetch). Refetch, then keep receiving."));
    }
}

public sealed class AppointmentChangedType : ObjectGraphType<AppointmentChanged>
{
    public AppointmentChangedType()
    {
        Name = "AppointmentChanged";
        Description = "A new version of an appointment, as a subscriber receives it; or, with kind REFETCH_REQUIRED, the signal to refetch.";
        Field<NonNullGraphType<AppointmentChangeKindType>>("kind").Description("What happened.").Resolve(c => c.Source.Kind);
        Field<IdGraphType>("appointmentId").Description("The appointment's global id (null for REFETCH_REQUIRED).").Resolve(c => c.Source.AppointmentId is { } id ? GlobalId.Encode("Appointment", id) : null);
        Field<AppointmentType>("appointment").Description("This version (for DELETED, the last one; null for REFETCH_REQUIRED).").Resolve(c => c.Source.Appointment);
        Field<RefetchRequiredType>("refetch").Description("For REFETCH_REQUIRED, why and from where; null otherwise.").Resolve(c => c.Source.Refetch);
        Field<StringGraphType>("versionId").Description("The FHIR version it is now at.").Resolve(c => c.Source.VersionId);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("occurredAt").Description("When the gateway learnt of the change.").Resolve(c => c.Source.OccurredAt);
    }
}

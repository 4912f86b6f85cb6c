using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Instrumentation;
using GraphQL.Types;
using GraphQL.Types.Relay.DataObjects;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Authorization;

/// <summary>
/// Checks every appointment, patient and appointment answer a field hands out, whichever path led to it (root
/// field, nested list, union member, mutation payload, subscription event), so no resolver can forget to.
/// Hidden items leave lists silently; a hidden single value is null with a FORBIDDEN error, the same error a
/// missing one gets. Searches are narrowed to the caller's own before they run (<see cref="SchedulingAccess.Narrow"/>);
/// this is the check that holds whatever the FHIR server returned.
/// </summary>
public sealed class AccessFieldMiddleware : IFieldMiddleware
{
    public async ValueTask<object?> ResolveAsync(IResolveFieldContext context, FieldMiddlewareDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var access = context.RequestServices?.GetService<SchedulingAccess>();
        if (access is null || access.SeesEverything)
        {
            return await next(context);
        }

        var byId = RootByIdOf(context);
        if (byId is ("Patient", var patientId) && !(await access.VisiblePatientsAsync([patientId], context.CancellationToken)).Contains(patientId))
        {
            // Refused before any read: not even the time of a lookup tells whether the patient exists.
            throw ForbiddenError.NotYours("Patient", patientId);
        }

        var result = await next(context);
        return result is IDataLoaderResult pending
            ? new CheckedResult(pending, value => CheckAsync(context, access, byId, value))
            : await CheckAsync(context, access, byId, result);
    }

    private static async Task<object?> CheckAsync(IResolveFieldContext context, SchedulingAccess access, (string Type, string Id)? byId, object? value)
    {
        switch (value)
        {
            case null when byId is var (type, id):
                throw ForbiddenError.NotYours(type, id);
            case Appointment appointment:
                return access.CanSee(appointment) ? appointment : throw ForbiddenError.NotYours("Appointment", appointment.Id);
            case Patient patient:
                return InsideVisibleAppointment(context, access) ||
                       (await access.VisiblePatientsAsync([patient.Id ?? string.Empty], context.CancellationToken)).Contains(patient.Id ?? string.Empty)
                    ? patient
                    : throw ForbiddenError.NotYours("Patient", patient.Id);
            case AppointmentResponse response:
                return context.Source is Appointment or MutationPayload<AppointmentAnswer> || access.CanSee(response)
                    ? response
                    : throw ForbiddenError.NotYours("AppointmentResponse", response.Id);
            case Connection<Appointment> appointments:
                return Keep(appointments, access.CanSee);
            case Connection<Patient> patients:
                var visible = await access.VisiblePatientsAsync(
                    (patients.Edges ?? []).Select(e => e.Node?.Id).OfType<string>(), context.CancellationToken);
                return Keep(patients, p => p.Id is { } id && visible.Contains(id));
            case Connection<AppointmentResponse> responses when context.Source is not Appointment:
                return Keep(responses, access.CanSee);
            default:
                return value;
        }
    }

    /// <summary>A practitioner sees the patients of their own appointments; the appointment was checked on the way in.</summary>
    private static bool InsideVisibleAppointment(IResolveFieldContext context, SchedulingAccess access) =>
        access.Caller.Role == CallerRole.Practitioner && context.Source is Appointment or Appointment.ParticipantComponent;

    /// <summary><c>appointment(id)</c> and <c>patient(id)</c>: a miss is answered like a denial.</summary>
    private static (string Type, string Id)? RootByIdOf(IResolveFieldContext context)
    {
        if (context.ParentType != context.Schema.Query || context.GetArgument<string?>("id") is not { } id)
        {
            return null;
        }

        return context.FieldDefinition.ResolvedType?.GetNamedType() switch
        {
            AppointmentType => ("Appointment", id),
            Patients.PatientType => ("Patient", id),
            _ => null,
        };
    }

    private static Connection<T> Keep<T>(Connection<T> connection, Func<T, bool> visible)
    {
        var edges = connection.Edges ?? [];
        var kept = edges.Where(e => e.Node is not null && visible(e.Node)).ToList();
        if (kept.Count == edges.Count)
        {
            return connection;
        }

        // Only a FHIR server that ignored the narrowing gets here; its count would reveal the hidden ones.
        return new Connection<T>
        {
            Edges = kept,
            TotalCount = null,
            PageInfo = connection.PageInfo,
        };
    }

    private sealed class CheckedResult(IDataLoaderResult inner, Func<object?, Task<object?>> check) : IDataLoaderResult
    {
        public async Task<object?> GetResultAsync(CancellationToken cancellationToken = default) =>
            await check(await inner.GetResultAsync(cancellationToken));
    }
}

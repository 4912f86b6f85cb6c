using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Instrumentation;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Authorization;

/// <summary>
/// Checks every appointment, patient and appointment answer a field hands out, decided by the value's runtime
/// type and not by the field's declared shape: a single value, a list (of any depth, of union members), a
/// connection or its edges, whichever path led to it (root field, nested field, mutation payload, subscription
/// event), so no resolver can forget to. Hidden items leave lists and connections silently (the connection's
/// counts and cursors then describe the visible items only, <see cref="Paging.Visible{T}"/>); a hidden single
/// value is null with a FORBIDDEN error, the same error a missing one gets, naming only an id the caller sent.
/// Searches are narrowed to the caller's own before they run (<see cref="SchedulingAccess.Narrow"/>,
/// <see cref="SchedulingAccess.NarrowPatientsAsync"/>); this is the check that holds whatever the FHIR server returned.
/// </summary>
public sealed class AccessFieldMiddleware : IFieldMiddleware
{
    public ValueTask<object?> ResolveAsync(IResolveFieldContext context, FieldMiddlewareDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var access = SchedulingAccess.Of(context);
        if (access is null || access.SeesEverything || !FieldFacts.CanHoldResources(context))
        {
            // Nothing to check (a caller who sees everything, or a scalar or enum field, which hands out no record and
            // asks for none by id): the resolution as it is, without an async frame or an allocation.
            return next(context);
        }

        return CheckedAsync(context, access, next);
    }

    private static async ValueTask<object?> CheckedAsync(IResolveFieldContext context, SchedulingAccess access, FieldMiddlewareDelegate next)
    {
        if (NodesOf(context) is { } asked)
        {
            // nodes(ids:) reads only what SchedulingAccess.RefusedBeforeReadAsync lets through (NodeQueries).
            return await NodesCheckedAsync(context, access, asked, await next(context) as IReadOnlyList<object?>);
        }

        var byId = RootByIdOf(context);
        if (byId is var (type, id) && (await access.RefusedBeforeReadAsync([new FhirReference(type, id)], context.CancellationToken)).Count > 0)
        {
            // Refused before any read: not even the time of a lookup tells whether the patient exists.
            throw ForbiddenError.NotYours(type, id);
        }

        var result = await next(context);
        return result is IDataLoaderResult pending
            ? new CheckedResult(pending, value => CheckAsync(context, access, byId, value))
            : await CheckAsync(context, access, byId, result);
    }

    private static async Task<object?> CheckAsync(IResolveFieldContext context, SchedulingAccess access, (string Type, string Id)? byId, object? value)
    {
        if (value is null)
        {
            return byId is var (type, id) ? throw ForbiddenError.NotYours(type, id) : null;
        }

        // Each record decided once per operation (as seen here, or anywhere): the usual field, whose records are of
        // no checked type or were already found visible, allocates nothing.
        var inside = InsideAppointment(context);
        var seen = OperationServices.Of(context)?.Visible;
        if (ResourceValues.All(value, inside ? DecidedInside : DecidedAnywhere, (object?)seen ?? NoneSeen))
        {
            return value;
        }

        var found = ResourceValues.Collect(value).Where(r => IsChecked(r.TypeName) && seen?.Shown(r, inside) != true).ToList();
        var hidden = await access.HiddenAsync(found, inside, context.CancellationToken);
        seen?.Remember(found.Where(r => !hidden.Contains(r)), inside);
        if (hidden.Count == 0)
        {
            return value;
        }

        return value is Resource single
            ? throw (byId is var (asked, askedId) ? ForbiddenError.NotYours(asked, askedId) : ForbiddenError.Hidden(single.TypeName))
            : ResourceValues.Without(value, hidden, silently: true);
    }

    private static readonly VisibleResources NoneSeen = new();

    private static readonly Func<Resource, object, bool> DecidedAnywhere =
        static (resource, seen) => !IsChecked(resource.TypeName) || ((VisibleResources)seen).Shown(resource, insideVisibleAppointment: false);

    private static readonly Func<Resource, object, bool> DecidedInside =
        static (resource, seen) => !IsChecked(resource.TypeName) || ((VisibleResources)seen).Shown(resource, insideVisibleAppointment: true);

    /// <summary>
    /// The types whose records are checked against the caller (the patient's own data), and whose miss, when asked by
    /// id, is answered like a denial so that nothing tells whether one exists.
    /// </summary>
    private static bool IsChecked(string type) => type is "Appointment" or "Patient" or "AppointmentResponse";

    /// <summary>
    /// Whether the value comes out of an appointment (its patient, participants, answers, through lists and
    /// connections): that appointment was checked when it left, so what is seen with it follows it.
    /// </summary>
    private static bool InsideAppointment(IResolveFieldContext context)
    {
        for (var level = context; level is not null; level = level.Parent)
        {
            switch (level.Source)
            {
                case Appointment:
                    return true;
                case Appointment.ParticipantComponent:
                    continue;
                case var source when source is not null && ResourceValues.IsWrapper(source):
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>nodes(ids:)</c>: each entity checked as its own root field checks it, in place: what the caller may not see,
    /// and a missing record of a checked type, is null with the same FORBIDDEN error (the list keeps its positions).
    /// </summary>
    private static async Task<object?> NodesCheckedAsync(IResolveFieldContext context, SchedulingAccess access, List<FhirReference> asked, IReadOnlyList<object?>? found)
    {
        if (found is null)
        {
            return null;
        }

        var hidden = await access.HiddenAsync(found.OfType<Resource>().ToList(), false, context.CancellationToken);
        var shown = new List<object?>(found.Count);
        for (var i = 0; i < found.Count; i++)
        {
            var visible = found[i] is { } item && !(item is Resource resource && hidden.Contains(resource));
            shown.Add(visible ? found[i] : null);
            if (!visible && (found[i] is not null || IsChecked(asked[i].ResourceType)))
            {
                var denial = ForbiddenError.NotYours(asked[i].ResourceType, asked[i].Id);
                denial.Path = context.ResponsePath.Append(i);
                context.Errors.Add(denial);
            }
        }

        return shown;
    }

    private static List<FhirReference>? NodesOf(IResolveFieldContext context) =>
        context.ParentType == context.Schema.Query && context.FieldDefinition.Name == "nodes"
            ? context.GetArgument<List<FhirReference>>("ids")
            : null;

    /// <summary><c>appointment(id)</c>, <c>patient(id)</c> and <c>node(id)</c> naming one: a miss is answered like a denial.</summary>
    private static (string Type, string Id)? RootByIdOf(IResolveFieldContext context)
    {
        if (context.ParentType != context.Schema.Query)
        {
            return null;
        }

        if (context.FieldDefinition.Name == "node")
        {
            var node = context.GetArgument<FhirReference>("id");
            return IsChecked(node.ResourceType) ? (node.ResourceType, node.Id) : null;
        }

        if (context.GetArgument<object?>("id") is not string id)
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
}

/// <summary>
/// The records one operation found its caller may see, by instance and version, and where: anywhere, or inside a
/// visible appointment only (which sees more: <see cref="SchedulingAccess.HiddenAsync"/>). Only what was shown is kept;
/// a hidden record is decided again wherever it appears. Cleared with a subscription's reads before each event.
/// </summary>
internal sealed class VisibleResources
{
    // Without a lock (InstanceMemo): a race between two fields loses at most a memo, and the record is decided again.
    private readonly InstanceMemo<Seen> _shown = new();

    /// <summary>Whether it was shown where this field stands (inside a visible appointment or not).</summary>
    public bool Shown(Resource resource, bool insideVisibleAppointment) =>
        _shown.TryGet(resource, out var seen) && seen.VersionId == resource.Meta?.VersionId &&
        (seen.Anywhere || insideVisibleAppointment);

    public void Remember(IEnumerable<Resource> shown, bool insideVisibleAppointment)
    {
        foreach (var resource in shown)
        {
            var version = resource.Meta?.VersionId;
            if (!(_shown.TryGet(resource, out var known) && known.VersionId == version && known.Anywhere))
            {
                _shown.Set(resource, new Seen(version, !insideVisibleAppointment));
            }
        }
    }

    public void Clear() => _shown.Clear();

    private sealed record Seen(string? VersionId, bool Anywhere);
}

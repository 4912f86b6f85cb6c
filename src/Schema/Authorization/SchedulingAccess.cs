using GraphQL;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Authorization;

/// <summary>A denial. Its message names what was asked for, never whether it exists, and never what it hides.</summary>
public sealed class ForbiddenError : ExecutionError
{
    public ForbiddenError(string message)
        : base(message) => Code = "FORBIDDEN";

    /// <summary>
    /// The same answer for a hidden resource and a missing one, so a denial tells nothing. Only for an id the
    /// caller sent: the message echoes it.
    /// </summary>
    public static ForbiddenError NotYours(string resourceType, string? id) =>
        new($"{resourceType} '{id}' is not available to this caller.");

    /// <summary>A value the caller did not ask for by id (a co-patient, a schedule's patient): named by its type only.</summary>
    public static ForbiddenError Hidden(string resourceType) =>
        new($"A {resourceType} here is not available to this caller.");
}

/// <summary>
/// The request's caller and what they may see and change, enforced in the gateway whatever the FHIR server does:
/// a patient sees their own appointments and their own record; a practitioner their own schedules and
/// appointments and the patients in them; schedulers and admins everything. Practitioners, locations, services,
/// schedules and slots (free availability) are visible to every caller with a role.
/// </summary>
public sealed class SchedulingAccess(ReferencingResourcesDataLoader referencing, IFhirStore store)
{
    /// <summary>Actors a practitioner may put on their own schedule besides themselves: places and services, which are public.</summary>
    private static readonly HashSet<string> SharedScheduleActors = ["Location", "HealthcareService"];

    /// <summary>A practitioner's patients, once a patient search had to know them all (the same answer the per-id lookup gives).</summary>
    private HashSet<string>? _practitionersPatients;

    /// <summary>Where an operation keeps its access in <see cref="IProvideUserContext.UserContext"/> (<see cref="Of"/>).</summary>
    public const string UserContextKey = "Scheduling.SchedulingAccess";

    /// <summary>
    /// The operation's access: put in its user context once, as it starts, so that a check on every field is a
    /// dictionary read and not a scoped service resolution (which takes the scope's lock); from its services otherwise.
    /// </summary>
    public static SchedulingAccess? Of(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserContext.TryGetValue(UserContextKey, out var kept) && kept is SchedulingAccess access
            ? access
            : context.RequestServices?.GetService(typeof(SchedulingAccess)) as SchedulingAccess;
    }

    /// <summary>Set from the operation's principal before it runs; nobody until then.</summary>
    public SchedulingCaller Caller { get; set; } = SchedulingCaller.Nobody;

    public bool SeesEverything => Caller.SeesEverything;

    /// <summary>A patient or practitioner sees an appointment they take part in.</summary>
    public bool CanSee(Appointment appointment)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        return SeesEverything || (Own() is { } own && Involves(appointment, own));
    }

    /// <summary>An answer is seen with its appointment; alone, only by the participant who gave it.</summary>
    public bool CanSee(AppointmentResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return SeesEverything || (Own() is { } own && FhirReference.From(response.Actor) == own);
    }

    /// <summary>
    /// A patient sees only themselves; a practitioner the patients of their appointments, found by the reverse
    /// lookup nested lists use (<c>Appointment?practitioner=me&amp;patient=a,b,…</c>, one search for all asked).
    /// </summary>
    public async Task<IReadOnlySet<string>> VisiblePatientsAsync(IEnumerable<string> patientIds, CancellationToken cancellationToken)
    {
        var ids = patientIds.Distinct().ToList();
        if (SeesEverything)
        {
            return ids.ToHashSet();
        }

        if (Caller.Patient is { } self)
        {
            return ids.Where(id => id == self.Id).ToHashSet();
        }

        if (Caller.Practitioner is not { } practitioner)
        {
            return new HashSet<string>();
        }

        if (_practitionersPatients is { } known)
        {
            return ids.Where(known.Contains).ToHashSet();
        }

        var withMe = AppointmentSearches.WithPractitioner(practitioner);
        // Queue every lookup before waiting on one, so they go out as one search.
        var lookups = ids.Select(id => referencing.Load<Appointment>(withMe, "patient", FhirReference.For<Patient>(id))).ToList();
        var visible = new HashSet<string>();
        for (var i = 0; i < ids.Count; i++)
        {
            // Checked here too: a server that ignored the practitioner parameter must not widen what is shown.
            if ((await lookups[i].GetResultAsync(cancellationToken)).Any(a => Involves(a, practitioner)))
            {
                visible.Add(ids[i]);
            }
        }

        return visible;
    }

    /// <summary>
    /// Which of <paramref name="resources"/> (appointments, patients, answers) the caller may not see. Inside an
    /// appointment that was itself checked on the way out (<paramref name="insideVisibleAppointment"/>), its
    /// answers are seen with it, and a practitioner sees its patients; a patient never sees a co-patient, nor
    /// a co-patient's answer, by whichever field it leaves (<c>participants</c>' actor and <c>patient</c>: null with
    /// FORBIDDEN; <c>patients</c>: left out of the list), however it was read (by id, or brought by a planned include).
    /// </summary>
    public async Task<IReadOnlySet<Resource>> HiddenAsync(IReadOnlyCollection<Resource> resources, bool insideVisibleAppointment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var hidden = new HashSet<Resource>(ReferenceEqualityComparer.Instance);
        if (SeesEverything)
        {
            return hidden;
        }

        hidden.UnionWith(resources.OfType<Appointment>().Where(a => !CanSee(a)));
        hidden.UnionWith(resources.OfType<AppointmentResponse>().Where(r => !insideVisibleAppointment && !CanSee(r)));

        // A patient, and a patient's answer, are seen by whoever may see that patient (in a group appointment, not by a co-patient).
        var byPatient = resources
            .Where(r => !hidden.Contains(r))
            .Select(r => (Resource: r, Patient: r switch
            {
                Patient patient => patient.Id ?? string.Empty,
                AppointmentResponse answer when FhirReference.From(answer.Actor) is { ResourceType: "Patient" } actor && !CanSee(answer) => actor.Id,
                _ => null,
            }))
            .Where(p => p.Patient is not null)
            .ToList();
        if (byPatient.Count > 0 && !(insideVisibleAppointment && Caller.Practitioner is not null))
        {
            var visible = await VisiblePatientsAsync(byPatient.Select(p => p.Patient!), cancellationToken);
            hidden.UnionWith(byPatient.Where(p => !visible.Contains(p.Patient!)).Select(p => p.Resource));
        }

        return hidden;
    }

    /// <summary>
    /// Which by-id lookups (<c>patient(id:)</c>, <c>node(id:)</c>, <c>nodes(ids:)</c>) are refused before anything is
    /// read: patients the caller may not see, so not even the time of a lookup tells whether they exist.
    /// </summary>
    public async Task<IReadOnlySet<FhirReference>> RefusedBeforeReadAsync(IReadOnlyCollection<FhirReference> asked, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(asked);
        var patients = asked.Where(r => r.ResourceType == "Patient").Select(r => r.Id).ToList();
        if (patients.Count == 0 || SeesEverything)
        {
            return new HashSet<FhirReference>();
        }

        var visible = await VisiblePatientsAsync(patients, cancellationToken);
        return asked.Where(r => r.ResourceType == "Patient" && !visible.Contains(r.Id)).ToHashSet();
    }

    /// <summary>
    /// A search argument naming a patient (<c>schedules(actor: "Patient/1")</c>) is refused, before the search runs,
    /// unless the caller may see that patient: otherwise its results and counts would tell the patient exists.
    /// </summary>
    public async Task RequireMayNameAsync(FhirReference reference, CancellationToken cancellationToken)
    {
        if (reference.ResourceType == "Patient" && !(await VisiblePatientsAsync([reference.Id], cancellationToken)).Contains(reference.Id))
        {
            throw ForbiddenError.NotYours("Patient", reference.Id);
        }
    }

    /// <summary>
    /// Patient searches narrowed before they run, so FHIR finds, counts and pages only patients the caller may see:
    /// a patient themselves, a practitioner the patients of their appointments (null when they have none: nothing
    /// to search), schedulers and admins anyone. A caller without a role is refused without a search.
    /// </summary>
    public async Task<FhirQuery?> NarrowPatientsAsync(FhirQuery patients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patients);
        if (SeesEverything)
        {
            return patients;
        }

        if (Caller.Patient is { } self)
        {
            return ResourceSearches.NarrowedToIds(patients, [self.Id]);
        }

        if (Caller.Practitioner is not { } practitioner)
        {
            throw new ForbiddenError("Patients are not available to this caller.");
        }

        var appointments = await store.SearchAllAsync<Appointment>(AppointmentSearches.WithPractitioner(practitioner), cancellationToken);
        _practitionersPatients = appointments.Where(a => Involves(a, practitioner))
            .SelectMany(a => a.Participant.Select(p => FhirReference.From(p.Actor)))
            .Where(r => r?.ResourceType == "Patient")
            .Select(r => r!.Value.Id)
            .ToHashSet();
        return _practitionersPatients.Count == 0 ? null : ResourceSearches.NarrowedToIds(patients, _practitionersPatients.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Who may name whom on a new schedule, decided on the references alone (before anything is read, so a
    /// missing and an existing id get the same refusal): schedulers and admins anyone, patients included; a
    /// practitioner themselves, with locations and healthcare services, and no other practitioner or patient.
    /// </summary>
    public bool CanCreateScheduleFor(IReadOnlyCollection<FhirReference> actors)
    {
        ArgumentNullException.ThrowIfNull(actors);
        return SeesEverything ||
               (Caller.Practitioner is { } own && actors.Contains(own) &&
                actors.All(a => a == own || SharedScheduleActors.Contains(a.ResourceType)));
    }

    /// <summary>Schedules (their availability, slots and blocks) are changed by schedulers, admins and their own practitioner.</summary>
    public bool CanManage(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return SeesEverything || (Caller.Practitioner is { } own && schedule.Actor.Any(a => FhirReference.From(a) == own));
    }

    /// <summary>Whether the caller's role manages schedules at all (patients and role-less callers do not).</summary>
    public bool ManagesSchedules => SeesEverything || Caller.Practitioner is not null;

    /// <summary>
    /// A patient books only for themselves; practitioners, schedulers and admins for anyone; a caller without a
    /// role for nobody. Decided before anything is read.
    /// </summary>
    public bool CanBookFor(string patientId) => Caller.Role switch
    {
        CallerRole.None => false,
        CallerRole.Patient => Caller.PatientId == patientId,
        _ => true,
    };

    /// <summary>Whether the caller's role changes appointments at all; checked before an appointment is read.</summary>
    public bool ChangesAppointments => Caller.Role != CallerRole.None;

    /// <summary>Patients book on any schedule; practitioners only on their own; schedulers and admins anywhere.</summary>
    public bool CanBookOn(Schedule schedule) => Caller.Role == CallerRole.Patient || CanManage(schedule);

    /// <summary>
    /// Whether the caller may put someone on the waitlist for <paramref name="practitioner"/>: as booking on their
    /// schedules, a patient for anyone's time, a practitioner only for their own, the front desk for everyone's.
    /// </summary>
    public bool CanWaitFor(FhirReference practitioner) => Caller.Role == CallerRole.Patient || SeesEverything || practitioner == Own();

    /// <summary>The caller a waitlist offer is made as: the entry's patient (their rights and limits, never the gateway's own: no overbooking).</summary>
    public static SchedulingCaller OfferedAs(string patientId) => new(CallerRole.Patient, patientId, null);

    /// <summary>
    /// Whether the caller may take the one booking beyond capacity that an <c>overbooked</c> slot allows (FHIR R4: a
    /// slot that may hold more than it was meant to): the practice's schedulers and admins; patients and practitioners
    /// book within capacity only.
    /// </summary>
    public bool CanOverbook => SeesEverything;

    /// <summary>Check-in, arrival and the rest are recorded by the practice, not by the patient.</summary>
    public bool CanChangeStatus => Caller.Role != CallerRole.Patient;

    /// <summary>Patients and practitioners answer for themselves; the front desk may record anyone's answer.</summary>
    public bool CanAnswerAs(FhirReference actor) => SeesEverything || actor == Own();

    /// <summary>Appointment searches narrowed to the caller's own, so FHIR returns what may be shown (results are still checked).</summary>
    public FhirQuery Narrow(FhirQuery appointments)
    {
        ArgumentNullException.ThrowIfNull(appointments);
        if (SeesEverything)
        {
            return appointments;
        }

        return Caller.Patient is { } patient ? AppointmentSearches.NarrowedTo(appointments, patient)
            : Caller.Practitioner is { } practitioner ? AppointmentSearches.NarrowedTo(appointments, practitioner)
            : throw new ForbiddenError("Appointments are not available to this caller.");
    }

    /// <summary>Webhooks (outbound notifications of every appointment change) are registered, read and replayed by admins only.</summary>
    public bool ManagesWebhooks => MayRead("Webhook");

    /// <summary>
    /// The least role that reads a Node type at all (through node/nodes as through its own fields): webhooks and their
    /// deliveries are admin-only configuration; every other type is read by every caller, record by record as
    /// <see cref="HiddenAsync"/> decides. The one place a type's read permission is decided.
    /// </summary>
    public static CallerRole ReadRoleOf(string nodeType) => nodeType is "Webhook" or "WebhookDelivery" ? CallerRole.Admin : CallerRole.None;

    /// <summary>Whether the caller's role reads <paramref name="nodeType"/> (<see cref="ReadRoleOf"/>).</summary>
    public bool MayRead(string nodeType) => Caller.Role >= ReadRoleOf(nodeType);

    /// <summary>Refuses unless <paramref name="allowed"/>; the message must not tell whether the thing exists.</summary>
    public static void Require(bool allowed, Func<ForbiddenError> denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        if (!allowed)
        {
            throw denial();
        }
    }

    private FhirReference? Own() => Caller.Patient ?? Caller.Practitioner;

    private static bool Involves(Appointment appointment, FhirReference actor) =>
        appointment.Participant.Any(p => FhirReference.From(p.Actor) == actor);
}

using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>The Slot searches of the booking core, by name instead of parameter strings at call sites.</summary>
public static class SlotSearches
{
    /// <summary>
    /// How far before a span a slot overlapping it may start. FHIR R4 Slot has no <c>end</c> search parameter, so an
    /// overlap search looks back this far; blocks (the only long slots) are limited to it.
    /// </summary>
    public static readonly TimeSpan MaxSlotLength = TimeSpan.FromDays(31);

    /// <summary>Slots of these schedules that may overlap [from, to) (callers keep those that do: <see cref="TimeRange.Overlaps"/>).</summary>
    public static FhirQuery Overlapping(IEnumerable<string> scheduleIds, DateTimeOffset from, DateTimeOffset to, TimeSpan? lookBack = null) =>
        FhirQuery.For<Slot>()
            .WhereAny("schedule", scheduleIds.Select(id => "Schedule/" + id))
            .WhereDate("start", "ge", from - (lookBack ?? MaxSlotLength))
            .WhereDate("start", "lt", to);

    public static FhirQuery ByIds(IEnumerable<string> ids) => FhirQuery.For<Slot>().WhereAny("_id", ids);

    /// <summary>The Slot made for one availability option of a rule (its identifier).</summary>
    public static FhirQuery ForRuleOption(string ruleSlotId) =>
        FhirQuery.For<Slot>().WhereToken("identifier", GatewayProfile.RuleSlotSystem, ruleSlotId);

    /// <summary>The parameter by which a schedule's slots are batched (<c>Slot?schedule=Schedule/1,Schedule/2</c>).</summary>
    public const string ScheduleParameter = "schedule";

    /// <summary>
    /// The slots list's filter, each condition when given: on any of these schedules, with any of these statuses,
    /// starting within <paramref name="start"/>, of a service type a caller wrote as <c>code</c> or <c>system|code</c>.
    /// </summary>
    public static FhirQuery Filtered(IReadOnlyCollection<string>? scheduleIds, IReadOnlyCollection<Slot.SlotStatus>? statuses, DateTimeFilter? start, string? serviceType)
    {
        var query = FhirQuery.For<Slot>();
        if (scheduleIds is { Count: > 0 })
        {
            query.WhereAny(ScheduleParameter, scheduleIds.Select(id => "Schedule/" + id));
        }

        if (statuses is { Count: > 0 })
        {
            query.WhereAny("status", statuses.Select(s => s.GetLiteral()));
        }

        start?.ApplyTo(query, "start");
        if (serviceType is not null)
        {
            query.WhereTokenText("service-type", serviceType);
        }

        return query;
    }
}

/// <summary>The Schedule searches of the booking core.</summary>
public static class ScheduleSearches
{
    /// <summary>The parameter by which an actor's schedules are batched (<c>Schedule?actor=Practitioner/1</c>).</summary>
    public const string ActorParameter = "actor";

    public static FhirQuery ByIds(IEnumerable<string> ids) => FhirQuery.For<Schedule>().WhereAny("_id", ids);

    /// <summary>Any one schedule: the cheapest search there is (the health check's probe).</summary>
    public static FhirQuery AnyOne() => FhirQuery.For<Schedule>().Count(1);

    /// <summary>The schedules list's filter, each condition when given: a service type (<c>code</c> or <c>system|code</c>), active or not.</summary>
    public static FhirQuery Filtered(string? serviceType, bool? active)
    {
        var query = FhirQuery.For<Schedule>();
        if (serviceType is not null)
        {
            query.WhereTokenText("service-type", serviceType);
        }

        if (active is { } isActive)
        {
            query.WhereRaw("active", isActive ? "true" : "false");
        }

        return query;
    }

    /// <summary>A schedule search narrowed to those with this actor.</summary>
    public static FhirQuery NarrowedToActor(FhirQuery schedules, FhirReference actor)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        return schedules.Where(ActorParameter, actor.ToString());
    }

    /// <summary>Schedules with any of these practitioners, this location and this service type (each when given).</summary>
    public static FhirQuery WithActors(IReadOnlyCollection<string> practitionerReferences, string? locationReference, string? serviceTypeText)
    {
        ArgumentNullException.ThrowIfNull(practitionerReferences);
        var query = FhirQuery.For<Schedule>();
        if (practitionerReferences.Count > 0)
        {
            query.WhereAny("actor", practitionerReferences);
        }

        if (locationReference is not null)
        {
            query.Where("actor", locationReference);
        }

        if (serviceTypeText is not null)
        {
            query.WhereTokenText("service-type", serviceTypeText);
        }

        return query;
    }
}

/// <summary>The Appointment searches of the booking core.</summary>
public static class AppointmentSearches
{
    /// <summary>
    /// Statuses in which an appointment holds its time and its slots. Not WAITLIST: a waitlist entry waits for time
    /// and takes none (no busy time, no slot, no open booking; README "Waitlist"), whoever wrote it.
    /// </summary>
    public static readonly Appointment.AppointmentStatus[] ActiveStatuses =
    [
        Appointment.AppointmentStatus.Proposed, Appointment.AppointmentStatus.Pending, Appointment.AppointmentStatus.Booked,
        Appointment.AppointmentStatus.Arrived, Appointment.AppointmentStatus.CheckedIn,
    ];

    /// <summary>
    /// Statuses that count against a patient's open-bookings limit: booked, or held and waiting for an answer. One
    /// subset of <see cref="ActiveStatuses"/>, named here so the limit's count and its expired-hold correction agree.
    /// </summary>
    public static readonly Appointment.AppointmentStatus[] OpenStatuses =
        [Appointment.AppointmentStatus.Booked, Appointment.AppointmentStatus.Pending];

    /// <summary>
    /// How long an appointment may last (longer ones are refused: <see cref="BookingChecks.MaxLengthRule"/>): the
    /// overlap search looks back this far from a span's start.
    /// </summary>
    public static readonly TimeSpan MaxAppointmentLength = TimeSpan.FromDays(1);

    public static bool IsActive(Appointment appointment) =>
        appointment?.Status is { } status && ActiveStatuses.Contains(status);

    /// <summary>Open: booked, or held and waiting for an answer (<see cref="OpenStatuses"/>).</summary>
    public static bool IsOpen(Appointment.AppointmentStatus? status) => status is { } open && OpenStatuses.Contains(open);

    /// <summary>Active appointments of any of these actors that may overlap [from, to).</summary>
    public static FhirQuery ActiveOverlapping(IEnumerable<string> actorReferences, DateTimeOffset from, DateTimeOffset to) =>
        FhirQuery.For<Appointment>()
            .WhereAny("actor", actorReferences)
            .WhereAny("status", ActiveStatuses.Select(s => s.GetLiteral()))
            .WhereDate("date", "ge", from - MaxAppointmentLength)
            .WhereDate("date", "lt", to);

    /// <summary>Appointments that hold any of these slots: those whose status leaves a slot taken (<see cref="SlotHolding.HoldingStatuses"/>).</summary>
    public static FhirQuery HoldingSlots(IEnumerable<string> slotIds) =>
        FhirQuery.For<Appointment>()
            .WhereAny("slot", slotIds.Select(id => "Slot/" + id))
            .WhereAny("status", SlotHolding.HoldingStatuses.Select(s => s.GetLiteral()));

    /// <summary>The status filter of <see cref="HoldingSlots"/> alone, for a batched lookup by slot (<see cref="SlotParameter"/>): who sits on a slot.</summary>
    public static FhirQuery Holding() =>
        FhirQuery.For<Appointment>().WhereAny("status", SlotHolding.HoldingStatuses.Select(s => s.GetLiteral()));

    /// <summary>The parameter by which appointments are batched by slot (<c>Appointment?slot=Slot/1,Slot/2</c>).</summary>
    public const string SlotParameter = "slot";

    /// <summary>Appointments of any status (cancelled too) pointing to any of these slots.</summary>
    public static FhirQuery OnSlots(IEnumerable<string> slotIds) =>
        FhirQuery.For<Appointment>().WhereAny("slot", slotIds.Select(id => "Slot/" + id));

    /// <summary>Holds still pending (expired or not).</summary>
    public static FhirQuery PendingHolds() =>
        FhirQuery.For<Appointment>().Where("status", Appointment.AppointmentStatus.Pending.GetLiteral()).WhereToken("_tag", GatewayProfile.TagSystem, GatewayProfile.HoldTag);

    /// <summary>Appointments a practitioner takes part in.</summary>
    public static FhirQuery WithPractitioner(FhirReference practitioner) => NarrowedTo(FhirQuery.For<Appointment>(), practitioner);

    /// <summary>
    /// The appointments list's filter, each condition when given: this patient, this practitioner (both as
    /// <see cref="NarrowedTo"/> narrows, the one place for it), any participant <paramref name="actor"/> (a
    /// reference), any of these statuses, a start within <paramref name="date"/>.
    /// </summary>
    public static FhirQuery Filtered(
        string? patientId, string? practitionerId, string? actor, IReadOnlyCollection<Appointment.AppointmentStatus>? statuses, DateTimeFilter? date)
    {
        var query = FhirQuery.For<Appointment>();
        if (patientId is not null)
        {
            NarrowedTo(query, FhirReference.For<Patient>(patientId));
        }

        if (practitionerId is not null)
        {
            NarrowedTo(query, FhirReference.For<Practitioner>(practitionerId));
        }

        if (actor is not null)
        {
            query.Where("actor", actor);
        }

        if (statuses is { Count: > 0 })
        {
            query.WhereAny("status", statuses.Select(s => s.GetLiteral()));
        }

        date?.ApplyTo(query, "date");
        return query;
    }

    /// <summary>An appointment search narrowed to those a patient or a practitioner takes part in.</summary>
    public static FhirQuery NarrowedTo(FhirQuery appointments, FhirReference participant)
    {
        ArgumentNullException.ThrowIfNull(appointments);
        return appointments.Where(participant.ResourceType == "Patient" ? "patient" : "practitioner", participant.ToString());
    }

    public static FhirQuery ByIdempotencyKey(string key) =>
        FhirQuery.For<Appointment>().WhereToken("identifier", GatewayProfile.ClientMutationIdSystem, key);

    /// <summary>Appointments of any of these actors starting in [from, to) in a status the caps count (<see cref="BookingCaps.CountedStatuses"/>; expired holds are left out by <see cref="BookingCaps.Counts"/>).</summary>
    public static FhirQuery CountedStarting(IEnumerable<string> actorReferences, DateTimeOffset from, DateTimeOffset to) =>
        FhirQuery.For<Appointment>()
            .WhereAny("actor", actorReferences)
            .WhereAny("status", BookingCaps.CountedStatuses.Select(s => s.GetLiteral()))
            .WhereDate("date", "ge", from)
            .WhereDate("date", "lt", to);

    /// <summary>A patient's upcoming holds still pending (expired or not), to leave the expired ones out of <see cref="OpenOfPatientCount"/>.</summary>
    public static FhirQuery PendingHoldsOfPatient(string patientId, DateTimeOffset now) =>
        PendingHolds().Where("patient", "Patient/" + patientId).WhereDate("date", "ge", now);

    /// <summary>A patient's upcoming booked or held appointments, counted only (expired holds too: see <see cref="PendingHoldsOfPatient"/>).</summary>
    public static FhirQuery OpenOfPatientCount(string patientId, DateTimeOffset now) =>
        FhirQuery.For<Appointment>()
            .Where("patient", "Patient/" + patientId)
            .WhereAny("status", OpenStatuses.Select(s => s.GetLiteral()))
            .WhereDate("date", "ge", now)
            .Count(0)
            .WithTotal();
}

/// <summary>The waitlist's searches (Booking/Waitlist).</summary>
public static class WaitlistSearches
{
    /// <summary>The gateway's waitlist entries still waiting (status waitlist, tagged), in any order: the line is sorted by <c>created</c> in memory.</summary>
    public static FhirQuery Waiting() =>
        FhirQuery.For<Appointment>()
            .Where("status", Appointment.AppointmentStatus.Waitlist.GetLiteral())
            .WhereToken("_tag", GatewayProfile.TagSystem, GatewayProfile.WaitlistTag);

    /// <summary>Every offer made to one entry (any status): the holds carrying its id (<see cref="GatewayProfile.WaitlistOfferSystem"/>).</summary>
    public static FhirQuery OffersTo(string entryId) =>
        FhirQuery.For<Appointment>().WhereToken("identifier", GatewayProfile.WaitlistOfferSystem, entryId);

    /// <summary>Every offer made to any of these entries (any status), in one search: their identifiers OR-ed.</summary>
    public static FhirQuery OffersToAny(IEnumerable<string> entryIds) =>
        FhirQuery.For<Appointment>().WhereRaw("identifier",
            string.Join(',', entryIds.Select(id => FhirQuery.Escape(GatewayProfile.WaitlistOfferSystem) + "|" + FhirQuery.Escape(id))));
}

/// <summary>The AppointmentResponse searches.</summary>
public static class AppointmentResponseSearches
{
    /// <summary>The parameter by which the answers to appointments are batched (<c>AppointmentResponse?appointment=Appointment/1</c>).</summary>
    public const string AppointmentParameter = "appointment";

    /// <summary>Every answer; narrowed per appointment by <see cref="AppointmentParameter"/> when batched.</summary>
    public static FhirQuery All() => FhirQuery.For<AppointmentResponse>();
}

/// <summary>The Patient searches.</summary>
public static class PatientSearches
{
    /// <summary>Patients, each condition when given: any part of a name starts with <paramref name="name"/>; an identifier a caller wrote as <c>value</c> or <c>system|value</c>.</summary>
    public static FhirQuery Matching(string? name, string? identifier)
    {
        var query = FhirQuery.For<Patient>();
        if (name is not null)
        {
            query.Where("name", name);
        }

        if (identifier is not null)
        {
            query.WhereTokenText("identifier", identifier);
        }

        return query;
    }
}

/// <summary>The Practitioner searches.</summary>
public static class PractitionerSearches
{
    /// <summary>Practitioners; when given, any part of whose name starts with <paramref name="name"/>.</summary>
    public static FhirQuery Matching(string? name)
    {
        var query = FhirQuery.For<Practitioner>();
        return name is null ? query : query.Where("name", name);
    }
}

/// <summary>The span guards' search (<see cref="SpanGuards"/>).</summary>
public static class SpanGuardSearches
{
    /// <summary>The guards with these keys (keys hold no comma, bar or dollar).</summary>
    public static FhirQuery ByKeys(IEnumerable<string> keys) =>
        FhirQuery.For<Basic>().WhereRaw("identifier", string.Join(',', keys.Select(k => GatewayProfile.GuardSystem + "|" + FhirQuery.Escape(k))));
}

/// <summary>The searches of change intents and of what a change wrote (<see cref="ChangeIntent"/>).</summary>
public static class ChangeIntentSearches
{
    /// <summary>Every intent record.</summary>
    public static FhirQuery All() => FhirQuery.For<Basic>().WhereToken("code", GatewayProfile.TagSystem, GatewayProfile.IntentCode);

    /// <summary>The resources of one type this change wrote last (its meta.tag).</summary>
    public static FhirQuery TaggedBy(string resourceType, string changeId) =>
        new FhirQuery(resourceType).WhereToken("_tag", GatewayProfile.ChangeTagSystem, changeId);
}

/// <summary>Searches of any resource type, by the parameters every type has.</summary>
public static class ResourceSearches
{
    /// <summary>Resources of one type with these ids.</summary>
    public static FhirQuery ByIds(string resourceType, IEnumerable<string> ids) => NarrowedToIds(new FhirQuery(resourceType), ids);

    /// <summary>A search narrowed to these ids.</summary>
    public static FhirQuery NarrowedToIds(FhirQuery query, IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.WhereAny("_id", ids);
    }

    /// <summary>Resources of one type changed at or after an instant, oldest first (a change feed's page).</summary>
    public static FhirQuery UpdatedSince(string resourceType, DateTimeOffset since) =>
        new FhirQuery(resourceType).WhereDate("_lastUpdated", "ge", since).SortBy([("_lastUpdated", false)]);
}

using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

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

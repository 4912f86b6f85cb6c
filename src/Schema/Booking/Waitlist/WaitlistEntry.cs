using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>
/// A waitlist entry and its FHIR shape, read and written in this one place. An entry is an Appointment with status
/// <c>waitlist</c>, tagged <see cref="GatewayProfile.WaitlistTag"/>: the patient as a required, accepted participant;
/// each acceptable practitioner as a participant with <c>required = information-only</c> (any one of them will do:
/// a pool); the service asked for as <c>serviceType</c>; the acceptable windows as <c>requestedPeriod</c>; the length
/// wanted as <c>minutesDuration</c>; and <c>created</c>, which orders the line (ties by id). It has no start, no end
/// and no slots, and its status takes no time (<see cref="AppointmentSearches.ActiveStatuses"/>).
/// An offer is an ordinary hold carrying the entry's id (<see cref="GatewayProfile.WaitlistOfferSystem"/>) and a
/// reference to it (<see cref="GatewayProfile.WaitlistEntryExtension"/>).
/// </summary>
public sealed record WaitlistEntry(
    string Id,
    string PatientId,
    IReadOnlyList<string> PractitionerIds,
    string? ServiceType,
    IReadOnlyList<TimeRange> Windows,
    int DurationMinutes,
    DateTimeOffset Created)
{
    /// <summary>The order of the line: joined first, first served; ties by id.</summary>
    public static readonly IComparer<WaitlistEntry> LineOrder = Comparer<WaitlistEntry>.Create((a, b) =>
    {
        var byCreated = a.Created.CompareTo(b.Created);
        return byCreated != 0 ? byCreated : string.CompareOrdinal(a.Id, b.Id);
    });

    /// <summary>
    /// Whether a free time is what this entry waits for: its length, inside one of its windows, on a schedule of one
    /// of its practitioners (any, when it names none) that serves its service (any, when it names none). The same
    /// criteria availability is asked with for the entry, checked without asking again.
    /// </summary>
    public bool Suits(AvailabilityOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        var span = option.Offered.Span;
        return option.Parts is null
            && span.Length == TimeSpan.FromMinutes(DurationMinutes)
            && Windows.Any(w => w.Contains(span))
            && (PractitionerIds.Count == 0 || BookingChecks.Actors(option.Schedule).Any(a => a.ResourceType == "Practitioner" && PractitionerIds.Contains(a.Id)))
            && (ServiceType is null || Serves(option.Schedule, ServiceType));
    }

    /// <summary>Whether a schedule serves a service type written as <c>code</c> or <c>system|code</c> (as the <c>service-type</c> search matches it).</summary>
    public static bool Serves(Schedule schedule, string serviceType)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(serviceType);
        var bar = serviceType.IndexOf('|', StringComparison.Ordinal);
        var (system, code) = bar < 0 ? ((string?)null, serviceType) : (serviceType[..bar], serviceType[(bar + 1)..]);
        return schedule.ServiceType.SelectMany(c => c.Coding).Any(c => c.Code == code && (system is null || system == (c.System ?? string.Empty)));
    }

    /// <summary>Whether an appointment is one of the gateway's waitlist entries (any status: waiting, fulfilled, left).</summary>
    public static bool IsEntry(Appointment appointment) =>
        appointment?.Meta?.Tag.Any(t => t.System == GatewayProfile.TagSystem && t.Code == GatewayProfile.WaitlistTag) == true;

    /// <summary>Whether an entry is still waiting in line.</summary>
    public static bool IsWaiting(Appointment appointment) => IsEntry(appointment) && appointment.Status == AppointmentStatus.Waitlist;

    /// <summary>The entry an offer was made to, if the appointment is an offer.</summary>
    public static string? OfferedTo(Appointment appointment) =>
        appointment?.Identifier.FirstOrDefault(i => i.System == GatewayProfile.WaitlistOfferSystem)?.Value;

    /// <summary>Marks a new hold as the offer of this entry (its id to search by, a reference to read).</summary>
    public static void MarkOffer(Appointment offer, string entryId)
    {
        ArgumentNullException.ThrowIfNull(offer);
        offer.Identifier.Add(new Identifier(GatewayProfile.WaitlistOfferSystem, entryId));
        offer.Extension.Add(new Extension(GatewayProfile.WaitlistEntryExtension, new ResourceReference("Appointment/" + entryId)));
    }

    /// <summary>The FHIR appointment of a new entry.</summary>
    public static Appointment New(string patientId, IReadOnlyList<string> practitionerIds, string? serviceType, IReadOnlyList<TimeRange> windows, int durationMinutes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(practitionerIds);
        ArgumentNullException.ThrowIfNull(windows);
        var appointment = new Appointment
        {
            Meta = new Meta { Tag = [new Coding(GatewayProfile.TagSystem, GatewayProfile.WaitlistTag)] },
            Status = AppointmentStatus.Waitlist,
            ServiceType = serviceType is null ? [] : [new CodeableConcept { Text = serviceType, Coding = [new Coding(null, serviceType)] }],
            Description = serviceType,
            MinutesDuration = durationMinutes,
            // To the millisecond (the line's order), in UTC.
            Created = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            RequestedPeriod = [.. windows.Select(w => new Period(new FhirDateTime(w.Start), new FhirDateTime(w.End)))],
            Participant = [AppointmentChanges.Participant("Patient/" + patientId, ParticipationStatus.Accepted)],
        };
        foreach (var practitioner in practitionerIds)
        {
            appointment.Participant.Add(new Appointment.ParticipantComponent
            {
                Actor = new ResourceReference("Practitioner/" + practitioner),
                Required = Appointment.ParticipantRequired.InformationOnly,
                Status = ParticipationStatus.NeedsAction,
            });
        }

        return appointment;
    }

    /// <summary>The entry an appointment stands for; null when it is none of the gateway's entries or is unreadable.</summary>
    public static WaitlistEntry? From(Appointment appointment)
    {
        if (!IsEntry(appointment) || appointment.Id is not { } id || appointment.MinutesDuration is not { } minutes)
        {
            return null;
        }

        var actors = appointment.Participant.Select(p => FhirReference.From(p.Actor)).OfType<FhirReference>().ToList();
        var patient = actors.Find(a => a.ResourceType == "Patient");
        if (patient.ResourceType != "Patient")
        {
            return null;
        }

        var windows = appointment.RequestedPeriod
            .Select(p => TimeRange.Of(p.StartElement?.ToDateTimeOffset(TimeSpan.Zero), p.EndElement?.ToDateTimeOffset(TimeSpan.Zero)))
            .OfType<TimeRange>().ToList();
        var created = appointment.CreatedElement?.ToDateTimeOffset(TimeSpan.Zero) ?? DateTimeOffset.MaxValue;
        return new WaitlistEntry(id, patient.Id, [.. actors.Where(a => a.ResourceType == "Practitioner").Select(a => a.Id)],
            appointment.ServiceType.FirstOrDefault() is { } service ? service.Text ?? service.Coding.FirstOrDefault()?.Code : null,
            windows, minutes, created);
    }
}

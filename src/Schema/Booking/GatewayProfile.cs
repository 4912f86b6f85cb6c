using Hl7.Fhir.Model;
using Scheduling.Schema.Schedules;

namespace Scheduling.Schema.Booking;

/// <summary>
/// The gateway's FHIR profile in one place: every extension, code system and identifier system it writes or reads
/// on top of FHIR R4, and how a value of each is read back.
/// </summary>
public static class GatewayProfile
{
    public const string System = "https://scheduling-gateway.example.org/fhir";

    /// <summary>Appointment: when a hold stops standing (valueInstant).</summary>
    public const string HoldExpiresExtension = System + "/StructureDefinition/hold-expires";

    /// <summary>
    /// Slot: marks a free slot a block made unavailable (valueReference to the block, by its <see cref="BlockSystem"/>
    /// identifier). Which time it frees is decided on time alone (<see cref="BlockNesting"/>).
    /// </summary>
    public const string BlockedByExtension = System + "/StructureDefinition/blocked-by";

    /// <summary>Schedule: the recurring availability rule (see <see cref="Schedules.AvailabilityRule"/>).</summary>
    public const string AvailabilityExtension = System + "/StructureDefinition/availability";

    /// <summary>
    /// Slot, and the availability rule of a Schedule (its slots carry it): how many standing appointments the slot
    /// takes at once (valuePositiveInt; valueUnsignedInt and valueInteger are read too). Absent: 1 (<see cref="CapacityOf"/>).
    /// </summary>
    public const string CapacityExtension = System + "/StructureDefinition/capacity";

    /// <summary>
    /// Slot with seats (<see cref="SlotSeats.IsShared"/>): the last change of its seats (valueString, a new id each
    /// time), so every seat taken or given back makes a new version and two bookings of its last seat race on If-Match.
    /// </summary>
    public const string SeatsChangeExtension = System + "/StructureDefinition/seats-change";

    /// <summary>
    /// Schedule: its cutoffs and caps (<see cref="ScheduleLimits"/>), each a sub-extension with a valueInteger
    /// (<c>cancelNoticeMinutes</c>, <c>rescheduleNoticeMinutes</c>, <c>maxPerDay</c>, <c>maxPerWeek</c>); one absent
    /// falls back to the global <c>Booking</c> setting.
    /// </summary>
    public const string BookingLimitsExtension = System + "/StructureDefinition/booking-limits";

    /// <summary>meta.tag system of the gateway's tags (<see cref="HoldTag"/>).</summary>
    public const string TagSystem = System + "/CodeSystem/tags";

    public const string HoldTag = "hold";

    /// <summary>Appointment.identifier: patient id and the client's mutation id, for idempotent retries.</summary>
    public const string ClientMutationIdSystem = System + "/identifier/client-mutation-id";

    /// <summary>Slot.identifier: the availability option (schedule, start, end) a rule-based Slot was made for.</summary>
    public const string RuleSlotSystem = System + "/identifier/rule-slot";

    /// <summary>Slot.identifier of a block made by blockTime, so that the slots it marks can name it before it has an id.</summary>
    public const string BlockSystem = System + "/identifier/block";

    /// <summary>Basic.identifier of a span guard (<see cref="SpanGuards"/>): actor and UTC hour, or a patient's open bookings.</summary>
    public const string GuardSystem = System + "/identifier/span-guard";

    /// <summary>Basic.code (in <see cref="TagSystem"/>) of a span guard.</summary>
    public const string GuardCode = "span-guard";

    /// <summary>Basic: the last change that claimed a span guard (valueString), so every claim makes a new version.</summary>
    public const string GuardChangeExtension = System + "/StructureDefinition/span-guard-change";

    /// <summary>meta.tag system of the change that last wrote a resource (code: the change id), so a repair from a fresh read sees what is its own.</summary>
    public const string ChangeTagSystem = System + "/CodeSystem/change";

    /// <summary>Basic.code (in <see cref="TagSystem"/>) of a change intent (<see cref="ChangeIntent"/>).</summary>
    public const string IntentCode = "change-intent";

    /// <summary>Basic.identifier of a change intent: the change id.</summary>
    public const string IntentSystem = System + "/identifier/change-intent";

    /// <summary>Basic: when a change intent was recorded (valueInstant), for the repair's grace period.</summary>
    public const string IntentStartedExtension = System + "/StructureDefinition/change-intent-started";

    /// <summary>Basic: one planned write of a change intent, in order (valueString: <c>Type/id@version</c> for an update, <c>Type</c> for a create).</summary>
    public const string IntentWriteExtension = System + "/StructureDefinition/change-intent-write";

    /// <summary>Appointment.participant.type: HL7 v3 ParticipationType (FHIR R4's ParticipantType value set).</summary>
    public const string ParticipationTypeSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

    /// <summary>The practitioner who answers for the schedule (<see cref="ScheduleParticipants"/>): primary performer.</summary>
    public const string PrimaryPerformer = "PPRF";

    /// <summary>Basic: a resource (an appointment, a slot) as it was before the change updated it (valueString: its FHIR JSON), for the repair to restore.</summary>
    public const string IntentPreviousExtension = System + "/StructureDefinition/change-intent-previous";

    /// <summary>FHIR R5's Appointment.recurrenceTemplate as the R5-to-R4 cross-version extension: on a series' template appointment only.</summary>
    public const string RecurrenceTemplateExtension = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceTemplate";

    /// <summary>FHIR R5's Appointment.originatingAppointment (valueReference to the series' template): on each occurrence.</summary>
    public const string OriginatingAppointmentExtension = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment";

    /// <summary>FHIR R5's Appointment.recurrenceId (valuePositiveInt): an occurrence's place in its series, from 1.</summary>
    public const string RecurrenceIdExtension = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId";

    /// <summary>FHIR R5's Appointment.occurrenceChanged (valueBoolean): true once an occurrence was moved off its template's time.</summary>
    public const string OccurrenceChangedExtension = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.occurrenceChanged";

    /// <summary>
    /// Appointment.identifier of a series' template and of every occurrence (value: the series id), so that the
    /// occurrences are found with one search and an occurrence names its template by identifier (the template and
    /// its occurrences are written as one change, before the template has an id).
    /// </summary>
    public const string SeriesSystem = System + "/identifier/appointment-series";

    /// <summary>A series' template: the wall-clock time its occurrences start (valueTime), which R5's recurrenceTemplate leaves to the template's own start.</summary>
    public const string SeriesStartTimeExtension = System + "/StructureDefinition/series-start-time";

    /// <summary>
    /// The one decision of "is a series template": one of this gateway's series templates, i.e. an appointment carrying
    /// R5's recurrenceTemplate AND the gateway's series identifier (<see cref="SeriesSystem"/>), without a start or
    /// slots. Such a template takes no one's time (<see cref="StandingTime"/>), is no open booking, and no occurrence
    /// of anything. The extension alone decides nothing: other clients put it on real appointments with a time
    /// (Medplum's $find on a proposed first occurrence; R5 on an originating appointment), and those take time.
    /// </summary>
    public static bool IsSeriesTemplate(Appointment appointment) =>
        appointment?.GetExtension(RecurrenceTemplateExtension) is not null && appointment.Start is null && appointment.Slot.Count == 0 &&
        appointment.Identifier.Any(i => i.System == SeriesSystem && !string.IsNullOrEmpty(i.Value));

    /// <summary>meta.tag code (in <see cref="TagSystem"/>) of a Subscription that is one of the gateway's webhooks (Webhooks/WebhookSubscriptions).</summary>
    public const string WebhookTag = "webhook";

    /// <summary>Subscription: an event type the webhook receives (valueCode, repeated; none: every type).</summary>
    public const string WebhookEventExtension = System + "/StructureDefinition/webhook-event";

    /// <summary>Subscription: the webhook's state as the gateway delivers it (valueCode active | error | disabled).</summary>
    public const string WebhookStateExtension = System + "/StructureDefinition/webhook-state";

    /// <summary>Subscription: the version its signing secret is derived with (valueInteger; rotation adds one).</summary>
    public const string WebhookSecretVersionExtension = System + "/StructureDefinition/webhook-secret-version";

    /// <summary>meta.tag code (in <see cref="TagSystem"/>) of an Appointment that is one of the gateway's waitlist entries (Booking/Waitlist).</summary>
    public const string WaitlistTag = "waitlist";

    /// <summary>Identifier system on a hold offered from the waitlist; the value is the entry's id (what <see cref="WaitlistSearches.OffersTo"/> finds).</summary>
    public const string WaitlistOfferSystem = System + "/identifier/waitlist-offer";

    /// <summary>Appointment: the waitlist entry a hold was offered to (valueReference Appointment/id).</summary>
    public const string WaitlistEntryExtension = System + "/StructureDefinition/waitlist-entry";

    /// <summary>HL7's time zone extension on a Schedule (valueCode, an IANA name).</summary>
    public const string TimeZoneExtension = "http://hl7.org/fhir/StructureDefinition/timezone";

    /// <summary>
    /// The schedule's time zone: HL7's extension as written (valueCode) or as other writers put it (valueString), else
    /// the zone its availability rule was set in (setAvailability on a schedule made without one); null if neither.
    /// </summary>
    public static string? TimeZoneOf(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return schedule.GetExtension(TimeZoneExtension)?.Value switch
        {
            Code code => code.Value,
            FhirString text => text.Value,
            _ => AvailabilityRule.FromSchedule(schedule)?.TimeZone,
        };
    }

    /// <summary>The capacity an element (a Slot, an availability rule's extension) carries: at least 1; 1 when absent or unreadable.</summary>
    public static int CapacityOf(IExtendable element) =>
        element?.GetExtension(CapacityExtension)?.Value switch
        {
            PositiveInt { Value: > 0 and var positive } => positive,
            UnsignedInt { Value: > 0 and var unsigned } => unsigned,
            Integer { Value: > 0 and var integer } => integer,
            _ => 1,
        };

    public static DateTimeOffset? HoldExpiry(Appointment appointment) =>
        appointment?.GetExtension(HoldExpiresExtension)?.Value is Instant { Value: { } expires } ? expires : null;

    /// <summary>A hold: a pending appointment with an expiry (holdSlots), expired or not.</summary>
    public static bool IsHold(Appointment appointment) =>
        appointment?.Status == Appointment.AppointmentStatus.Pending && HoldExpiry(appointment) is not null;

    /// <summary>A hold is void from its expiry on, whoever looks and whether or not the sweeper has run.</summary>
    public static bool IsExpiredHold(Appointment appointment, DateTimeOffset now) =>
        IsHold(appointment) && HoldExpiry(appointment) <= now;
}

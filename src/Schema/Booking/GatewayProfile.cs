using Hl7.Fhir.Model;

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

    /// <summary>Slot: the block (a busy-unavailable Slot) that made this free slot unavailable (valueReference).</summary>
    public const string BlockedByExtension = System + "/StructureDefinition/blocked-by";

    /// <summary>Schedule: the recurring availability rule (see <see cref="Schedules.AvailabilityRule"/>).</summary>
    public const string AvailabilityExtension = System + "/StructureDefinition/availability";

    /// <summary>meta.tag system of the gateway's tags (<see cref="HoldTag"/>).</summary>
    public const string TagSystem = System + "/CodeSystem/tags";

    public const string HoldTag = "hold";

    /// <summary>Appointment.identifier: patient id and the client's mutation id, for idempotent retries.</summary>
    public const string ClientMutationIdSystem = System + "/identifier/client-mutation-id";

    /// <summary>Slot.identifier: the availability option (schedule, start, end) a rule-based Slot was made for.</summary>
    public const string RuleSlotSystem = System + "/identifier/rule-slot";

    /// <summary>Basic.identifier of a span guard (<see cref="SpanGuards"/>): actor and UTC hour, or a patient's open bookings.</summary>
    public const string GuardSystem = System + "/identifier/span-guard";

    /// <summary>Basic.code (in <see cref="TagSystem"/>) of a span guard.</summary>
    public const string GuardCode = "span-guard";

    /// <summary>Basic: the last change that claimed a span guard (valueString), so every claim makes a new version.</summary>
    public const string GuardChangeExtension = System + "/StructureDefinition/span-guard-change";

    /// <summary>HL7's time zone extension on a Schedule (valueCode, an IANA name).</summary>
    public const string TimeZoneExtension = "http://hl7.org/fhir/StructureDefinition/timezone";

    /// <summary>The schedule's time zone as written (valueCode) or as other writers put it (valueString); null if none.</summary>
    public static string? TimeZoneOf(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return schedule.GetExtension(TimeZoneExtension)?.Value switch
        {
            Code code => code.Value,
            FhirString text => text.Value,
            _ => null,
        };
    }

    public static DateTimeOffset? HoldExpiry(Appointment appointment) =>
        appointment?.GetExtension(HoldExpiresExtension)?.Value is Instant { Value: { } expires } ? expires : null;

    /// <summary>A hold is void from its expiry on, whoever looks and whether or not the sweeper has run.</summary>
    public static bool IsExpiredHold(Appointment appointment, DateTimeOffset now) =>
        appointment?.Status == Appointment.AppointmentStatus.Pending && HoldExpiry(appointment) is { } expires && expires <= now;
}

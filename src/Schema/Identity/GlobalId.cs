using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Identity;

/// <summary>
/// The one codec of the schema's ids: a global id is base64url (no padding) of <c>Type:fhirId</c>, opaque to
/// clients and unique across types, as Relay's and HotChocolate's are. Every id argument reads the global id and,
/// for a transition period, the FHIR reference <c>Type/id</c> or the bare FHIR id where the type is implied.
/// </summary>
public static class GlobalId
{
    /// <summary>The types a global id may name: every entity of the schema.</summary>
    public static readonly IReadOnlySet<string> EntityTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "Practitioner", "Patient", "Location", "HealthcareService", "Schedule", "Slot", "Appointment", "AppointmentResponse",
    };

    /// <summary>
    /// Nodes that are no FHIR entity of the schedule: a webhook (its FHIR Subscription). Read through node(id:) only by
    /// the roles the access policy lets read them (SchedulingAccess.ReadRoleOf).
    /// </summary>
    public static readonly IReadOnlySet<string> ConfigurationTypes = new HashSet<string>(StringComparer.Ordinal) { "Webhook" };

    /// <summary>The type name of a webhook delivery's global id (an attempt in a webhook's delivery log, no FHIR resource).</summary>
    public const string DeliveryType = "WebhookDelivery";

    /// <summary>Every type that implements Node, each with a global id node(id:) reads.</summary>
    public static IReadOnlySet<string> NodeTypes { get; } =
        new HashSet<string>(EntityTypes.Concat(ConfigurationTypes).Append(OptionType).Append(DeliveryType), StringComparer.Ordinal);

    /// <summary>The type name of an availability option's global id (an option is no FHIR resource).</summary>
    public const string OptionType = "AvailabilityOption";

    /// <summary>The longest option id read (a multi-part option of 8 schedule ids of 64 characters and two instants fit within).</summary>
    private const int MaxOptionIdLength = 1000;

    public static string Encode(string resourceType, string fhirId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(resourceType + ":" + fhirId));

    /// <summary>A slot id as the schema shows it: a real slot's global id; a rule option's id (not an entity yet) as it is.</summary>
    public static string EncodeSlot(string slotId) => RuleSlots.IsRuleSlotId(slotId) ? slotId : Encode("Slot", slotId);

    public static string Encode(FhirReference reference) => Encode(reference.ResourceType, reference.Id);

    /// <summary>
    /// An availability option's global id: its schedule and exact span, the instants with the offsets availability gave
    /// them (a rule option's slot is found by exactly that text, <see cref="RuleSlots.Id"/>).
    /// </summary>
    public static string EncodeOption(OfferedTime option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{OptionType}:{option.ScheduleId}|{option.Start:O}|{option.End:O}")));
    }

    /// <summary>The option an option id names; false for anything else.</summary>
    public static bool TryDecodeOption(string? value, [NotNullWhen(true)] out OfferedTime? option)
    {
        option = null;
        if (string.IsNullOrEmpty(value) || value.Length > MaxOptionIdLength || Text(value) is not { } text ||
            !text.StartsWith(OptionType + ":", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = text[(OptionType.Length + 1)..].Split('|');
        var schedules = parts[0].Split(OfferedTime.PartSeparator);
        if (parts.Length == 3 && schedules.Length <= SlotReservation.MaxParts && schedules.All(FhirReference.IsValidId) && schedules.Distinct().Count() == schedules.Length &&
            DateTimeOffset.TryParseExact(parts[1], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start) &&
            DateTimeOffset.TryParseExact(parts[2], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end) && end > start)
        {
            option = new OfferedTime(parts[0], start, end);
            return true;
        }

        return false;
    }

    /// <summary>A webhook delivery's global id: its webhook's FHIR id and its delivery log cursor.</summary>
    public static string EncodeDelivery(string webhookId, string cursor) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(DeliveryType + ":" + webhookId + "|" + cursor));

    /// <summary>The webhook and log cursor a delivery id names; false for anything else.</summary>
    public static bool TryDecodeDelivery(string? value, out (string WebhookId, string Cursor) delivery)
    {
        delivery = default;
        if (string.IsNullOrEmpty(value) || value.Length > 200 || Text(value) is not { } text ||
            !text.StartsWith(DeliveryType + ":", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = text[(DeliveryType.Length + 1)..].Split('|');
        if (parts.Length == 2 && FhirReference.IsValidId(parts[0]) && FhirReference.IsValidId(parts[1]))
        {
            delivery = (parts[0], parts[1]);
            return true;
        }

        return false;
    }

    /// <summary>An option id argument: the option, or a typed <c>INVALID_ID</c> / <c>WRONG_ID_TYPE</c> refusal.</summary>
    public static OfferedTime ReadOption(string? value)
    {
        if (TryDecodeOption(value, out var option))
        {
            return option;
        }

        throw TryDecode(value, out var other)
            ? new ScalarInputException("WRONG_ID_TYPE", $"The id names a {other.ResourceType}; an AvailabilityOption id (an option's id from availability) is expected here.")
            : new ScalarInputException("INVALID_ID", $"'{Shorten(value)}' is not an availability option's id (take it from availability's options).");
    }

    /// <summary>A global id's type and FHIR id; false for anything else (a bare id, a reference, garbage).</summary>
    public static bool TryDecode(string? value, out FhirReference reference)
    {
        reference = default;
        if (string.IsNullOrEmpty(value) || value.Length > 200)
        {
            return false;
        }

        if (Text(value) is not { } text)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !(EntityTypes.Contains(text[..colon]) || ConfigurationTypes.Contains(text[..colon])) || !FhirReference.IsValidId(text[(colon + 1)..]))
        {
            return false;
        }

        reference = new FhirReference(text[..colon], text[(colon + 1)..]);
        return true;
    }

    /// <summary>
    /// The text a global id encodes; null when it is not base64url of UTF-8. Without exceptions: a FHIR id or reference
    /// sent where a global id is accepted is the normal case, not an error.
    /// </summary>
    internal static string? Text(string value)
    {
        var length = Base64Url.GetMaxDecodedLength(value.Length);
        Span<byte> bytes = length <= 256 ? stackalloc byte[length] : new byte[length];
        // The OperationStatus form: the Try form still throws on a character outside base64url.
        return Base64Url.DecodeFromChars(value, bytes, out _, out var written) == OperationStatus.Done && Utf8.IsValid(bytes[..written])
            ? Encoding.UTF8.GetString(bytes[..written])
            : null;
    }

    /// <summary>
    /// What <c>node(id:)</c> and <c>nodes(ids:)</c> read: an entity (<see cref="ReadAny"/>), or an availability option,
    /// carried as the reference <c>AvailabilityOption/&lt;its global id&gt;</c> (an option has no FHIR id).
    /// </summary>
    public static FhirReference ReadNode(string? value) =>
        TryDecodeOption(value, out _) ? new FhirReference(OptionType, value!)
        : TryDecodeDelivery(value, out _) ? new FhirReference(DeliveryType, value!)
        : ReadAny(value, NodeFhirTypes);

    /// <summary>The node types named by a FHIR type and id: the entities and webhooks.</summary>
    private static readonly IReadOnlySet<string> NodeFhirTypes = new HashSet<string>(EntityTypes.Concat(ConfigurationTypes), StringComparer.Ordinal);

    /// <summary>
    /// Any entity named by a global id or a reference <c>Type/id</c> (no bare id: the type is not implied), of one of
    /// <paramref name="allowed"/> types; otherwise a typed <c>INVALID_ID</c> or <c>WRONG_ID_TYPE</c> refusal.
    /// </summary>
    public static FhirReference ReadAny(string? value, IReadOnlyCollection<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (!TryDecode(value, out var reference) && !(FhirReference.TryParse(value, out reference) && value!.Count(ch => ch == '/') == 1))
        {
            throw new ScalarInputException("INVALID_ID", $"'{Shorten(value)}' is not an id of this API (a global id, or a FHIR reference Type/id).");
        }

        return allowed.Contains(reference.ResourceType)
            ? reference
            : throw new ScalarInputException("WRONG_ID_TYPE", $"The id names a {reference.ResourceType}; a {string.Join(" or ", allowed)} id is expected here.");
    }

    /// <summary>The FHIR id of a <paramref name="type"/>, named by a global id, a reference <c>Type/id</c> or a bare FHIR id.</summary>
    public static string ReadFhirId(string? value, string type)
    {
        if (type == "Slot" && RuleSlots.IsRuleSlotId(value))
        {
            return value!;
        }

        if (TryDecode(value, out var decoded) || (value?.Contains('/', StringComparison.Ordinal) == true && FhirReference.TryParse(value, out decoded) && value.Count(ch => ch == '/') == 1))
        {
            return decoded.ResourceType == type
                ? decoded.Id
                : throw new ScalarInputException("WRONG_ID_TYPE", $"The id names a {decoded.ResourceType}; a {type} id is expected here.");
        }

        return FhirReference.IsValidId(value)
            ? value
            : throw new ScalarInputException("INVALID_ID", $"'{Shorten(value)}' is not a {type} id (a global id, a FHIR reference {type}/id or a FHIR id).");
    }

    private static string Shorten(string? value) => value is null ? string.Empty : value.Length > 80 ? value[..80] + "…" : value;
}

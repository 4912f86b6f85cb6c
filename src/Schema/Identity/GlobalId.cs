using System.Buffers.Text;
using System.Text;
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

    public static string Encode(string resourceType, string fhirId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(resourceType + ":" + fhirId));

    /// <summary>A slot id as the schema shows it: a real slot's global id; a rule option's id (not an entity yet) as it is.</summary>
    public static string EncodeSlot(string slotId) => RuleSlots.IsRuleSlotId(slotId) ? slotId : Encode("Slot", slotId);

    public static string Encode(FhirReference reference) => Encode(reference.ResourceType, reference.Id);

    /// <summary>A global id's type and FHIR id; false for anything else (a bare id, a reference, garbage).</summary>
    public static bool TryDecode(string? value, out FhirReference reference)
    {
        reference = default;
        if (string.IsNullOrEmpty(value) || value.Length > 200)
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(value);
        }
        catch (FormatException)
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (ArgumentException)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !EntityTypes.Contains(text[..colon]) || !FhirReference.IsValidId(text[(colon + 1)..]))
        {
            return false;
        }

        reference = new FhirReference(text[..colon], text[(colon + 1)..]);
        return true;
    }

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

using System.Security.Claims;
using System.Text;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Authorization;

/// <summary>What a caller may do, from least to most.</summary>
public enum CallerRole
{
    None,
    Patient,
    Practitioner,
    Scheduler,
    Admin,
}

/// <summary>The claims the gateway reads from a caller's token.</summary>
public static class SchedulingClaims
{
    /// <summary>
    /// <c>patient</c>, <c>practitioner</c>, <c>scheduler</c> or <c>admin</c> (whole names, any case); several allowed,
    /// space-separated or as several claims, the strongest counts. Anything else (<c>patient,practitioner</c>, <c>4</c>) is ignored.
    /// </summary>
    public const string Role = "role";

    /// <summary>The caller's Patient id (SMART's launch-context claim name).</summary>
    public const string Patient = "patient";

    /// <summary>The caller's Practitioner id.</summary>
    public const string Practitioner = "practitioner";

    /// <summary>
    /// SMART's <c>fhirUser</c>: <c>Patient/123</c>, <c>Practitioner/456</c>, or an absolute URL ending so on a trusted
    /// FHIR base (<c>Fhir:BaseUrl</c> or <c>Fhir:FhirUserBaseUrls</c>); on any other host it is ignored.
    /// </summary>
    public const string FhirUser = "fhirUser";
}

/// <summary>
/// Who is asking, reduced to what authorization needs: a role and, for patients and practitioners, the FHIR
/// resource that is theirs. An unauthenticated principal is <see cref="Nobody"/>: it sees nothing protected.
/// </summary>
public sealed record SchedulingCaller(CallerRole Role, string? PatientId, string? PractitionerId)
{
    public static readonly SchedulingCaller Nobody = new(CallerRole.None, null, null);

    /// <summary>The gateway's own background work (expiring holds).</summary>
    public static readonly SchedulingCaller System = new(CallerRole.Admin, null, null);

    /// <summary>Front desk and admins see and change everything.</summary>
    public bool SeesEverything => Role is CallerRole.Scheduler or CallerRole.Admin;

    public FhirReference? Patient => Role == CallerRole.Patient && PatientId is not null ? new FhirReference("Patient", PatientId) : null;

    public FhirReference? Practitioner => Role == CallerRole.Practitioner && PractitionerId is not null ? new FhirReference("Practitioner", PractitionerId) : null;

    /// <summary>
    /// Reads the role (explicit, or implied by <c>fhirUser</c>) and the caller's own resource. A patient or
    /// practitioner role without the id it needs is <see cref="Nobody"/>: it could only ever be refused.
    /// </summary>
    /// <param name="trustedFhirBases">FHIR base URLs an absolute <c>fhirUser</c> may point into.</param>
    public static SchedulingCaller From(ClaimsPrincipal? user, IEnumerable<string>? trustedFhirBases = null)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return Nobody;
        }

        var fhirUser = FhirUser(user.FindFirst(SchedulingClaims.FhirUser)?.Value, trustedFhirBases ?? []) ?? default;
        var patientId = Valid(user.FindFirst(SchedulingClaims.Patient)?.Value) ?? (fhirUser.ResourceType == "Patient" ? fhirUser.Id : null);
        var practitionerId = Valid(user.FindFirst(SchedulingClaims.Practitioner)?.Value) ?? (fhirUser.ResourceType == "Practitioner" ? fhirUser.Id : null);
        var roles = user.FindAll(SchedulingClaims.Role).Concat(user.FindAll(ClaimTypes.Role))
            .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(RoleNamed)
            .Where(role => role != CallerRole.None)
            .ToList();
        var role = roles.Count > 0 ? roles.Max() : fhirUser.ResourceType switch
        {
            "Patient" => CallerRole.Patient,
            "Practitioner" => CallerRole.Practitioner,
            _ => CallerRole.None,
        };
        return role switch
        {
            CallerRole.Patient when patientId is null => Nobody,
            CallerRole.Practitioner when practitionerId is null => Nobody,
            _ => new SchedulingCaller(role, patientId, practitionerId),
        };
    }

    /// <summary>
    /// A whole role name, any ASCII case; not Enum.TryParse, which takes "4" and "patient,practitioner", and not a
    /// culture or Unicode case fold, which turns "ſcheduler" (U+017F) and "admın" (U+0131) into role names.
    /// </summary>
    public static CallerRole RoleNamed(string value) =>
        Roles.FirstOrDefault(role => Ascii.EqualsIgnoreCase(value, role.Name)).Role;

    private static readonly (string Name, CallerRole Role)[] Roles =
    [
        ("patient", CallerRole.Patient),
        ("practitioner", CallerRole.Practitioner),
        ("scheduler", CallerRole.Scheduler),
        ("admin", CallerRole.Admin),
    ];

    /// <summary>
    /// <c>Patient/123</c> or <c>Practitioner/456</c> as given, or an absolute URL whose base (all before
    /// <c>Type/id</c>) is one of <paramref name="trustedBases"/>; anything else is no fhirUser at all.
    /// </summary>
    public static FhirReference? FhirUser(string? value, IEnumerable<string> trustedBases)
    {
        ArgumentNullException.ThrowIfNull(trustedBases);
        if (value is null || !FhirReference.TryParse(value, out var reference) || reference.ResourceType is not ("Patient" or "Practitioner"))
        {
            return null;
        }

        var local = reference.ToString();
        if (value == local)
        {
            return reference;
        }

        if (!value.EndsWith("/" + local, StringComparison.Ordinal) ||
            !Uri.TryCreate(value[..^(local.Length + 1)], UriKind.Absolute, out var valueBase))
        {
            return null;
        }

        return trustedBases.Any(trusted => Uri.TryCreate(trusted.TrimEnd('/'), UriKind.Absolute, out var trustedBase) &&
                                           Uri.Compare(valueBase, trustedBase, UriComponents.SchemeAndServer | UriComponents.Path,
                                               UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            ? reference
            : null;
    }

    private static string? Valid(string? id) => FhirReference.IsValidId(id) ? id : null;
}

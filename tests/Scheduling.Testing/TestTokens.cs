using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Scheduling.Testing;

/// <summary>Signed JWTs as an identity provider would issue them, for a gateway configured with the same key.</summary>
public static class TestTokens
{
    public const string SigningKey = "test-signing-key-of-at-least-32-bytes!";
    public const string Issuer = "https://issuer.test";
    public const string Audience = "scheduling-gateway";

    /// <summary>Settings that make a gateway accept these tokens (and only these).</summary>
    public static readonly (string Key, string Value)[] Settings =
        [("Auth:SigningKey", SigningKey), ("Auth:Issuer", Issuer), ("Auth:Audience", Audience)];

    public static Dictionary<string, string?> GatewaySettings() => Settings.ToDictionary(s => s.Key, s => (string?)s.Value);

    public static string Patient(string patientId) => Issue(("role", "patient"), ("patient", patientId));

    public static string Practitioner(string practitionerId) => Issue(("role", "practitioner"), ("fhirUser", "Practitioner/" + practitionerId));

    public static string Scheduler() => Issue(("role", "scheduler"));

    public static string Admin() => Issue(("role", "admin"));

    public static string Issue(params (string Type, string Value)[] claims) => Issue(SigningKey, DateTime.UtcNow.AddMinutes(10), claims);

    public static string Issue(string key, DateTime expires, params (string Type, string Value)[] claims) => Issue(key, Issuer, Audience, expires, claims);

    /// <summary>A token naming another (or no) issuer or audience, signed with <paramref name="key"/>.</summary>
    public static string Issue(string key, string? issuer, string? audience, DateTime expires, params (string Type, string Value)[] claims) =>
        IssueFor("user-" + Guid.NewGuid().ToString("N")[..8], key, issuer, audience, expires, claims);

    /// <summary>A token for a given subject: a renewal names the same one.</summary>
    public static string IssueFor(string subjectId, string key, DateTime expires, params (string Type, string Value)[] claims) =>
        IssueFor(subjectId, key, Issuer, Audience, expires, claims);

    private static string IssueFor(string subjectId, string key, string? issuer, string? audience, DateTime expires, params (string Type, string Value)[] claims)
    {
        var subject = new ClaimsIdentity([new Claim("sub", subjectId), .. claims.Select(c => new Claim(c.Type, c.Value))]);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = subject,
            Issuer = issuer,
            Audience = audience,
            Expires = expires,
            NotBefore = expires.AddMinutes(-20),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }
}

using System.ComponentModel.DataAnnotations;

namespace Scheduling.Schema.Fhir;

/// <summary>Where the gateway's FHIR data lives. Bound from the <c>Fhir</c> section.</summary>
public sealed class FhirOptions : IValidatableObject
{
    public const string SectionName = "Fhir";

    /// <summary>Base URL of an upstream FHIR R4 server. Empty: the embedded, seeded in-memory store.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// Other FHIR bases a token's absolute <c>fhirUser</c> URL may point into (an identity provider that names
    /// users by another base of the same practice). <see cref="BaseUrl"/> is always trusted; any other host is ignored.
    /// </summary>
    public IList<string> FhirUserBaseUrls { get; } = [];

    /// <summary>The bases an absolute <c>fhirUser</c> may point into.</summary>
    public IEnumerable<string> TrustedFhirUserBases => UsesEmbeddedStore ? FhirUserBaseUrls : FhirUserBaseUrls.Prepend(BaseUrl!);

    /// <summary>A static bearer token for the upstream (simplest setups, tests).</summary>
    public string? BearerToken { get; set; }

    /// <summary>
    /// Whose identity upstream requests carry: the gateway's own (default), or each caller's bearer token passed
    /// through, with the gateway's own only for work no caller asked for (expiring holds, the change feed).
    /// </summary>
    public UpstreamIdentity UpstreamIdentity { get; set; } = UpstreamIdentity.Gateway;

    /// <summary>OAuth2 client-credentials for the upstream; used when <see cref="TokenUrl"/> is set.</summary>
    public string? TokenUrl { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? Scope { get; set; }

    /// <summary>Per-attempt timeout of one upstream request.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Retries of a failed idempotent read (never of a create or transaction).</summary>
    [Range(0, 10)]
    public int RetryCount { get; set; } = 2;

    /// <summary>First retry delay; later ones back off exponentially with jitter.</summary>
    [Range(0, 10_000)]
    public int RetryBaseDelayMilliseconds { get; set; } = 200;

    /// <summary>_count asked for when the gateway reads every page of a search (batched lookups).</summary>
    [Range(10, 5000)]
    public int PageSize { get; set; } = 1000;

    /// <summary>How many ids or references go into one batched search (<c>_id=a,b,c</c>) before it is split.</summary>
    [Range(1, 1000)]
    public int MaxValuesPerSearch { get; set; } = 100;

    /// <summary>
    /// How a change of several resources is made atomic: true sends one FHIR transaction Bundle (entries with
    /// If-Match); false writes one by one with If-Match and undoes the written part if a later write fails.
    /// Default: true on the embedded store, false upstream (it works on every server; set true for HAPI or a
    /// Medplum server with transactions enabled).
    /// </summary>
    public bool? UseTransactions { get; set; }

    public bool UsesTransactions => UseTransactions ?? UsesEmbeddedStore;

    /// <summary>
    /// Whether root fields send their nested selection along as <c>_include</c>/<c>_revinclude</c> (the query
    /// planner). Auto (default): as far as the server's CapabilityStatement lists <c>searchInclude</c>/<c>searchRevInclude</c>
    /// (read once, <see cref="FhirCapabilities"/>; the embedded store lists every reference parameter); On; Off.
    /// </summary>
    [EnumDataType(typeof(FhirIncludes))]
    public FhirIncludes Includes { get; set; } = FhirIncludes.Auto;

    /// <summary>Seed the embedded store with the example practice (ignored with an upstream).</summary>
    public bool Seed { get; set; } = true;

    public bool UsesEmbeddedStore => string.IsNullOrWhiteSpace(BaseUrl);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!UsesEmbeddedStore &&
            (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"Fhir:BaseUrl must be an absolute http(s) URL, got '{BaseUrl}'.", [nameof(BaseUrl)]);
        }

        if (!string.IsNullOrWhiteSpace(TokenUrl) && (string.IsNullOrWhiteSpace(ClientId) || string.IsNullOrWhiteSpace(ClientSecret)))
        {
            yield return new ValidationResult("Fhir:TokenUrl needs Fhir:ClientId and Fhir:ClientSecret.", [nameof(ClientId), nameof(ClientSecret)]);
        }

        if (!string.IsNullOrWhiteSpace(TokenUrl) && !string.IsNullOrWhiteSpace(BearerToken))
        {
            yield return new ValidationResult("Set either Fhir:BearerToken or Fhir:TokenUrl, not both.", [nameof(BearerToken), nameof(TokenUrl)]);
        }
    }
}

/// <summary>Whether the query planner adds includes to searches: from the server's CapabilityStatement, always, never.</summary>
public enum FhirIncludes
{
    Auto,
    On,
    Off,
}

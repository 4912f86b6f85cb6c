using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.Extensions.Options;

namespace Scheduling.Gateway.Authentication;

/// <summary>Bound from the <c>Auth</c> section: how callers prove who they are.</summary>
public sealed class GatewayAuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>An OpenID Connect issuer; its discovery document gives the signing keys. Needs <see cref="Audience"/>.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must be issued for.</summary>
    public string? Audience { get; set; }

    /// <summary>A shared HMAC key (at least 32 bytes of UTF-8), for issuers without discovery; an alternative to <see cref="Authority"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The issuer tokens signed with <see cref="SigningKey"/> must name; required with it, like <see cref="Audience"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// With <see cref="SigningKey"/>: accept tokens whatever their <c>iss</c> and <c>aud</c> when <see cref="Issuer"/> or
    /// <see cref="Audience"/> is not set. Dangerous: a key shared with another service then lets every token issued for
    /// that service in here too. Only for an issuer that can put neither claim in its tokens.
    /// </summary>
    public bool AllowUnverifiedIssuerAndAudience { get; set; }

    /// <summary>How far a token's expiry and not-before times may be off the gateway's clock.</summary>
    [Range(0, 300)]
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// Whether requests without a token are served, with full access. Unset: only in Development and only while no
    /// authentication is configured. Anywhere else the gateway refuses to start without authentication unless this says true.
    /// </summary>
    public bool? AllowAnonymous { get; set; }

    public bool IsConfigured => !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(SigningKey);

    public bool AnonymousAllowed(bool development) => AllowAnonymous ?? (development && !IsConfigured);
}

/// <summary>Stops start-up on a setting that would leave the gateway open by accident or unable to check tokens.</summary>
internal sealed class GatewayAuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<GatewayAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!options.IsConfigured && !options.AnonymousAllowed(environment.IsDevelopment()))
        {
            failures.Add($"Auth: no authentication is configured for the {environment.EnvironmentName} environment. " +
                "Set Auth:Authority and Auth:Audience (or Auth:SigningKey), or set Auth:AllowAnonymous=true to serve everyone without a token.");
        }

        if (!string.IsNullOrEmpty(options.Authority) && string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Auth:Audience is required with Auth:Authority.");
        }

        if (!string.IsNullOrEmpty(options.Authority) && !Uri.TryCreate(options.Authority, UriKind.Absolute, out _))
        {
            failures.Add($"Auth:Authority must be an absolute URL, got '{options.Authority}'.");
        }

        if (!string.IsNullOrEmpty(options.SigningKey) && Encoding.UTF8.GetByteCount(options.SigningKey) < 32)
        {
            failures.Add("Auth:SigningKey must be at least 32 bytes (256 bits).");
        }

        if (!string.IsNullOrEmpty(options.SigningKey) && !options.AllowUnverifiedIssuerAndAudience)
        {
            var missing = new List<string>();
            if (string.IsNullOrWhiteSpace(options.Issuer))
            {
                missing.Add("Auth:Issuer");
            }

            if (string.IsNullOrWhiteSpace(options.Audience))
            {
                missing.Add("Auth:Audience");
            }

            if (missing.Count > 0)
            {
                failures.Add($"{string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} required with Auth:SigningKey: without them " +
                    "any token signed with the key, also one issued for another service that shares it, is accepted here. " +
                    "Set them, or set Auth:AllowUnverifiedIssuerAndAudience=true to accept that risk.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

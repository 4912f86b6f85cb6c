using System.Net.Http.Headers;
using System.Security.Claims;

namespace Scheduling.Schema.Fhir;

/// <summary>Whose identity upstream FHIR requests carry.</summary>
public enum UpstreamIdentity
{
    /// <summary>The gateway's own: <c>Fhir:BearerToken</c> or its client-credentials token.</summary>
    Gateway,

    /// <summary>The caller's bearer token, passed through (SMART style); the FHIR server enforces its own access too.</summary>
    Caller,
}

/// <summary>The operation's caller's bearer token, for <see cref="UpstreamIdentity.Caller"/>; set before the operation runs.</summary>
public sealed class CallerCredentials
{
    public string? BearerToken { get; set; }

    /// <summary>The raw token a validated principal was built from (JWT bearer keeps it when SaveSigninToken is on).</summary>
    public static string? TokenOf(ClaimsPrincipal? user) =>
        user?.Identities.Select(identity => identity.BootstrapContext as string).FirstOrDefault(token => !string.IsNullOrEmpty(token));
}

/// <summary>
/// Puts the caller's token on each request of one store (one operation's scope). Without a caller (background
/// work such as expiring holds) the request goes on without it, and <see cref="UpstreamAuthHandler"/> adds the gateway's own.
/// </summary>
internal sealed class CallerTokenHandler(CallerCredentials credentials, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (credentials.BearerToken is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
